import ArgumentParser
import Foundation
import LockstepFormat
import LockstepHarness
import LockstepOptim

/// `verify`: replays golden fixtures through the Swift optimizers and judges them.
public struct VerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay PyTorch golden trajectories through Lockstep's Swift optimizers and compare them step by step.",
        discussion: """
            Exit status: 0 when every fixture passes, 1 when a value is out of tolerance, \
            2 when a fixture or an argument is invalid.
            """,
        subcommands: [Check.self, Explain.self, Mutants.self, CatalogueCommand.self, Inspect.self, Table.self, IsolatedChild.self],
        defaultSubcommand: Check.self)

    public init() {}
}

/// Bounds given on the command line; absent ones come from the fixture, then the dtype.
struct ToleranceOptions: ParsableArguments {
    @Option(help: "Relative tolerance: |a − e| ≤ atol + rtol·|e| passes.")
    var rtol: Double?

    @Option(help: "Absolute tolerance.")
    var atol: Double?

    @Option(help: "Largest accepted distance in units in the last place.")
    var maxUlp: UInt64?

    @Flag(help: "Require bit-for-bit equality (rtol, atol and max-ulp all zero).")
    var exact = false

    func validate() throws {
        for (name, value) in [("--rtol", rtol), ("--atol", atol)] {
            if let value, !(value >= 0 && value.isFinite) {
                throw ValidationError("\(name) must be a finite number ≥ 0, not \(value)")
            }
        }
        if exact, rtol != nil || atol != nil || maxUlp != nil {
            throw ValidationError("--exact cannot be combined with --rtol, --atol or --max-ulp")
        }
    }

    /// Whether any bound was given on the command line (else each fixture's own apply).
    var areGiven: Bool { exact || rtol != nil || atol != nil || maxUlp != nil }

    /// The bounds as a plain value, to take to other threads.
    var bounds: Bounds { Bounds(rtol: rtol, atol: atol, maxULP: maxUlp, exact: exact) }
}

/// The bounds given on the command line, resolved per fixture.
struct Bounds: Sendable, Codable {
    var rtol: Double?
    var atol: Double?
    var maxULP: UInt64?
    var exact = false

    func tolerance(for header: FixtureHeader) -> Tolerance {
        exact ? .exact : Tolerance.resolve(rtol: rtol, atol: atol, maxULP: maxULP, file: header.tolerance, dtype: header.dtype)
    }
}

extension VerifyCommand {
    /// Verifies fixtures (the default subcommand).
    public struct Check: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Verify fixtures (the default: `verify --fixture F` is `verify check --fixture F`).")

        @Option(name: .customLong("fixture"), help: ArgumentHelp("A golden fixture (.h5) to verify; repeat for more.", valueName: "file"))
        var fixtures: [String] = []

        @OptionGroup var bounds: ToleranceOptions

        @Option(name: .customLong("as"), help: ArgumentHelp(
            "Replay every fixture as this optimizer (the one you ported) instead of the one it names; keys it does not know are dropped.",
            valueName: "name"))
        var optimizer: String?

        @Flag(help: "Load the recorded parameters and state of step t−1 before step t, so each step is judged alone.")
        var teacherForcing = false

        @Option(help: ArgumentHelp("Also write the results as JSON to this file.", valueName: "file"))
        var json: String?

        @Option(name: .customLong("report"), help: ArgumentHelp(
            "Also write a self-contained HTML report to this file: per fixture its settings, error plots, the first divergence and, for a failure, what explains it.",
            valueName: "file"))
        var htmlReport: String?

        @Option(help: ArgumentHelp(
            "Split each large tensor's step across this many threads (Adam, AdamW, SGD, Adagrad); the results are the same.",
            valueName: "n"))
        var threads = 1

        @Option(help: ArgumentHelp("Verify this many fixtures at once; the output is in the order given.", valueName: "n"))
        var jobs = 1

        @OptionGroup var isolation: IsolationOptions

        public func validate() throws {
            if fixtures.isEmpty { throw ValidationError("give at least one --fixture") }
            if threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
            if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
        }

        public init() {}

        public func run() throws {
            var report = TextReport()
            let runs = verifyAll(report: &report)
            let outcome = Outcome(runs)
            var failedWrite = false
            if let json, !writeReport("the JSON report", to: json, readingFrom: fixtures, report: report, { try Self.jsonData(outcome) }) {
                failedWrite = true
            }
            if let path = htmlReport,
                !writeReport("the HTML report", to: path, readingFrom: fixtures, report: report, { Data(HTMLReport.render(runs).utf8) })
            {
                failedWrite = true
            }
            throw ExitCode(failedWrite ? 2 : outcome.exitCode)
        }

        /// Verifies every fixture, `jobs` at a time, printing each in the order given.
        func verifyAll(report: inout TextReport) -> [FixtureRun] {
            let verifier = FixtureVerifier(
                bounds: bounds.bounds, teacherForcing: teacherForcing, parallelism: Parallelism(threads: threads),
                optimizers: VerifyCommand.optimizers, replayedAs: optimizer, details: htmlReport != nil)
            let progress = ProgressLine.forStandardError(json: json != nil)
            let text = report
            let isolation = isolation.isolation
            let runs = orderedMap(
                fixtures, jobs: jobs,
                progress: { finished, total, item in progress.update(finished: finished, total: total, item: item) },
                emit: { _, run in
                    progress.clear()
                    switch run.verdict {
                    case .result(let result): text.result(result)
                    case .invalid(let message): text.error(message)
                    }
                    progress.redraw()
                }
            ) { path in verifier.run(path, isolation: isolation) }
            progress.finish()
            report.summary(Outcome(runs))
            return runs
        }

        static func jsonData(_ outcome: Outcome) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try encoder.encode(outcome)
        }
    }
}

/// Everything one run of `verify check` found.
struct Outcome: Codable {
    struct InvalidFixture: Codable {
        var fixture: String
        var message: String
    }

    var results: [VerificationResult] = []
    var errors: [InvalidFixture] = []

    var passedCount: Int { results.filter(\.passed).count }
    var failedCount: Int { results.count - passedCount }

    /// 2 if any fixture was invalid, else 1 if any failed, else 0.
    var exitCode: Int32 { !errors.isEmpty ? 2 : failedCount > 0 ? 1 : 0 }

    enum CodingKeys: String, CodingKey { case results, errors, passed, failed, invalid }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(results, forKey: .results)
        try container.encode(errors, forKey: .errors)
        try container.encode(passedCount, forKey: .passed)
        try container.encode(failedCount, forKey: .failed)
        try container.encode(errors.count, forKey: .invalid)
    }

    init() {}

    init(_ runs: [FixtureRun]) {
        for run in runs {
            switch run.verdict {
            case .result(let result): results.append(result)
            case .invalid(let message): errors.append(.init(fixture: run.path, message: message))
            }
        }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        results = try container.decode([VerificationResult].self, forKey: .results)
        errors = try container.decode([InvalidFixture].self, forKey: .errors)
    }
}
