import ArgumentParser
import LockstepFormat

extension VerifyCommand {
    /// Prints what a fixture holds, after checking it against the format.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a fixture against the format and print its header, groups and datasets.")

        @Argument(help: ArgumentHelp("The fixture (.h5).", valueName: "file"))
        var fixture: String

        func run() throws {
            let reader: FixtureReader
            do {
                reader = try FixtureReader(path: fixture)
            } catch {
                TextReport().error("\(error)")
                throw ExitCode(2)
            }
            let header = reader.header
            print("\(fixture): \(header.optimizer) \(header.dtype.rawValue), \(header.steps) steps, mode \(header.mode.rawValue)")
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
        }

        /// The state recorded before step 1 (a recording that starts in the middle of training).
        private func initialState(_ parameter: FixtureParameter) -> String {
            let keys = parameter.initialStateKeys
            if keys.isEmpty { return "" }
            if keys == parameter.stateKeys { return " (and before step 1)" }
            return ", before step 1: \(keys.joined(separator: ", "))"
        }
    }
}
