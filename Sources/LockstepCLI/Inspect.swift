import ArgumentParser
import LockstepFormat
import LockstepHarness
import LockstepOptim

extension VerifyCommand {
    /// Prints what a fixture holds, after checking it against the format.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a fixture as `check` does (the format, and what replay rejects) and print its header, groups and datasets.")

        @Argument(help: ArgumentHelp("The fixture (.h5).", valueName: "file"))
        var fixture: String

        @OptionGroup var isolation: IsolationOptions

        /// What `inspect` prints of a fixture, or the one line saying why it is invalid.
        enum Inspected: Sendable, Codable {
            case lines([String])
            case invalid(String)
        }

        func run() throws {
            var inspected: Inspected
            if let isolation = isolation.isolation {
                switch isolation.run(.inspect(path: fixture), as: Inspected.self) {
                case .success(let result): inspected = result
                case .failure(let failure): inspected = .invalid(failure.line(file: fixture))
                }
            } else {
                inspected = Self.describe(fixture, optimizers: VerifyCommand.optimizers)
            }
            switch inspected {
            case .lines(let lines): lines.forEach { print($0) }
            case .invalid(let line):
                TextReport().error(line)
                throw ExitCode(2)
            }
        }

        /// Checks `path` as `check` does and describes what it holds.
        static func describe(_ path: String, optimizers: OptimizerCatalog) -> Inspected {
            // What `check` finds invalid, `inspect` does too: the file is replayed as `check`
            // replays it (what the optimizer rejects, a value a row may not hold), its values
            // not judged. A fixture that fails on its values is valid, and is shown.
            let verifier = FixtureVerifier(
                bounds: Bounds(), teacherForcing: false, parallelism: Parallelism(threads: 1),
                optimizers: optimizers, replayedAs: nil, details: false)
            if case .invalid(let line) = verifier.run(path).verdict { return .invalid(line) }
            let reader: FixtureReader
            do {
                reader = try FixtureReader(path: path)
            } catch {
                return .invalid("\(error)")
            }
            var lines: [String] = []
            func print(_ line: String) { lines.append(line) }
            let header = reader.header
            print("\(TextReport.escaped(path)): \(header.optimizer) \(header.dtype.rawValue), \(header.steps) steps, mode \(header.mode.rawValue)")
            if let description = header.description { print("  \(description)") }
            print("  reference: \(JSONValue.object(header.reference.json))")
            if let scheduler = header.scheduler { print("  scheduler: \(JSONValue.object(scheduler))") }
            let series = (reader.hasLearningRates ? ["lr"] : []) + reader.scheduledHyperparameters
                + (reader.hasMetric ? ["metric"] : [])
            if !series.isEmpty { print("  per step: \(series.map { "/steps/\($0)" }.joined(separator: ", "))") }
            if let objective = reader.objective { print("  closure answered by the objective: \(objective.kind)") }
            if let evaluations = reader.evaluations {
                print("  closure answered by the calls torch made: \(evaluations.count) recorded (/evaluations)")
            }
            for (index, group) in header.paramGroups.enumerated() {
                let added = group.addedAtStep == 1 ? "" : " (added before step \(group.addedAtStep))"
                print("  group \(index)\(added): \(group.params.joined(separator: ", ")) \(JSONValue.object(group.hyperparameters))")
            }
            for parameter in reader.parameters {
                let gaps = parameter.hasGrad.filter { !$0 }.count
                print(
                    "  \(parameter.path) \(parameter.shape)"
                        + (gaps > 0 ? ", no gradient at \(gaps) steps" : "")
                        + (parameter.hasSparseGrads ? ", sparse gradients (grad_mask)" : "")
                        + (parameter.stateKeys.isEmpty ? "" : ", state: \(parameter.stateKeys.joined(separator: ", "))")
                        + initialState(parameter))
            }
            return .lines(lines)
        }

        /// The state recorded before step 1 (a recording that starts in the middle of training).
        private static func initialState(_ parameter: FixtureParameter) -> String {
            let keys = parameter.initialStateKeys
            if keys.isEmpty { return "" }
            if keys == parameter.stateKeys { return " (and before step 1)" }
            return ", before step 1: \(keys.joined(separator: ", "))"
        }
    }
}
