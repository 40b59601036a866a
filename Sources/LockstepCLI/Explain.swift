import ArgumentParser
import Foundation
import LockstepDiagnosis
import LockstepFormat
import LockstepHarness

extension VerifyCommand {
    /// `verify explain`: which convention or porting bug reproduces a failing trajectory.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a fixture with every catalogue entry (conventions, porting bugs, mutants) in place of its optimizer and name the one that reproduces it.",
            discussion: """
                Exit status: 0 when the optimizer or a catalogue entry reproduces every fixture, \
                1 when some fixture is unexplained, 2 when a fixture or an argument is invalid.
                """)

        @Option(name: .customLong("fixture"), help: ArgumentHelp("A fixture (.h5) to explain; repeat for more.", valueName: "file"))
        var fixtures: [String] = []

        @Option(name: .customLong("as"), help: ArgumentHelp(
            "Replay as this optimizer (the one you ported) instead of the one the fixture names.", valueName: "name"))
        var optimizer: String?

        @OptionGroup var bounds: ToleranceOptions

        @Option(help: ArgumentHelp("Also write the explanations as JSON to this file.", valueName: "file"))
        var json: String?

        @Option(help: ArgumentHelp("Explain this many fixtures at once; the output is in the order given.", valueName: "n"))
        var jobs = 1

        @Option(help: ArgumentHelp("Print this many closest candidates per fixture.", valueName: "n"))
        var top = 5

        @OptionGroup var isolation: IsolationOptions

        func validate() throws {
            if fixtures.isEmpty { throw ValidationError("give at least one --fixture") }
            if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
            if top < 0 { throw ValidationError("--top must be at least 0, not \(top)") }
        }

        /// One fixture's explanation, or why it has none.
        enum Explained: Sendable, Codable {
            case explanation(Explanation)
            case invalid(String)
        }

        func run() throws {
            let report = TextReport()
            let (optimizers, top, isolation) = (VerifyCommand.optimizers, top, isolation.isolation)
            let settings = ExplainSettings(bounds: bounds.areGiven ? bounds.bounds : nil, optimizer: optimizer)
            let progress = ProgressLine.forStandardError(json: json != nil)
            let results = orderedMap(
                fixtures, jobs: jobs,
                progress: { finished, total, item in progress.update(finished: finished, total: total, item: item) },
                emit: { _, explained in
                    progress.clear()
                    switch explained {
                    case .explanation(let e): ExplanationText(explanation: e, top: top).lines.forEach(report.standardOutput)
                    case .invalid(let line): report.error(line)
                    }
                    progress.redraw()
                }
            ) { path -> Explained in
                guard let isolation else { return settings.explain(path, optimizers: optimizers) }
                switch isolation.run(.explain(settings, path: path), as: Explained.self) {
                case .success(let explained): return explained
                case .failure(let failure): return .invalid(failure.line(file: path))
                }
            }
            progress.finish()
            let explanations = results.compactMap { if case .explanation(let e) = $0 { e } else { nil } }
            let invalid = results.compactMap { if case .invalid(let line) = $0 { line } else { nil } }
            if let json, !writeReport("the JSON report", to: json, readingFrom: fixtures, report: report, { try Self.encoder.encode(explanations) }) {
                throw ExitCode(2)
            }
            if !invalid.isEmpty { throw ExitCode(2) }
            throw ExitCode(explanations.contains { $0.verdict == .unexplained } ? 1 : 0)
        }

        static func line(_ error: Error, _ path: String) -> String {
            switch error {
            case let error as FixtureError: error.description
            case let error as ReplayError: error.line(file: path)
            default: "\(path): /: \(error)"
            }
        }

        static var encoder: JSONEncoder {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return encoder
        }
    }
}

/// What `verify explain` does with each fixture: the bounds given on the command line, if
/// any, and `--as`.
struct ExplainSettings: Sendable, Codable {
    var bounds: Bounds?
    var optimizer: String?

    /// The fixture's explanation, or the line saying why it has none.
    func explain(_ path: String, optimizers: OptimizerCatalog) -> VerifyCommand.Explain.Explained {
        do {
            let header = try FixtureReader(path: path).header
            let tolerance = bounds?.tolerance(for: header)
            return .explanation(try Explainer(optimizers: optimizers, tolerance: tolerance).explain(path, as: optimizer))
        } catch {
            return .invalid(VerifyCommand.Explain.line(error, path))
        }
    }
}

/// An explanation as `verify explain` prints it.
struct ExplanationText {
    var explanation: Explanation
    var top: Int

    var lines: [String] {
        let e = explanation
        let replayed = e.optimizer == e.recordedOptimizer ? e.optimizer : "\(e.recordedOptimizer) replayed as \(e.optimizer)"
        var lines = ["\(e.fixture): \(replayed), \(e.dtype)"]
        switch e.verdict {
        case .matchesReference:
            lines.append("  \(e.optimizer) itself reproduces it (\(Self.figure(e.reference))): nothing to explain")
        case .reproducedExactly, .reproducedWithinTolerance:
            let how = e.verdict == .reproducedExactly ? "bit for bit" : "within tolerance"
            lines.append("  reproduced \(how) by:")
            for c in e.reproducing {
                lines.append("    \(c.title) [\(c.id)]: \(c.summary)")
                if let source = c.source { lines.append("      source: \(source)") }
            }
        case .unexplained:
            lines.append("  unexplained: no catalogue entry reproduces it")
            if let closest = e.candidates.first {
                lines.append("  closest: \(closest.title) [\(closest.id)], \(Self.figure(closest))")
                if let signature = closest.signature { lines.append("    \(signature.description)") }
            }
        }
        if e.verdict != .matchesReference {
            lines.append("  \(e.optimizer) itself: \(Self.figure(e.reference))")
            if let signature = e.reference.signature { lines.append("    \(signature.description)") }
        }
        if top > 0 {
            lines.append("  closest of \(e.candidates.count):")
            for (rank, c) in e.candidates.prefix(top).enumerated() {
                lines.append("    \(rank + 1). \(Self.pad(Self.figure(c), 24)) \(c.title) [\(c.id)]")
            }
        }
        return lines
    }

    static func figure(_ c: Explanation.Candidate) -> String {
        if let error = c.error { return "cannot replay: \(error)" }
        if c.exact { return "bit for bit" }
        let ulps = c.maxULPError.map { "\($0) ulp" } ?? "NaN"
        return (c.passed ? "within tolerance, " : "") + ulps
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
