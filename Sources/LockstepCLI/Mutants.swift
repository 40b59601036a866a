import ArgumentParser
import Foundation
import LockstepDiagnosis
import LockstepFormat
import LockstepHarness
import LockstepOptim

extension VerifyCommand {
    /// `verify mutants`: whether a set of fixtures would notice a bug.
    struct Mutants: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every catalogue entry and generic mutant against the fixtures of each optimizer they name: which the fixtures kill, which survive, the mutation score.",
            discussion: """
                Exit status: 0 when the run completed (survivors are reported, not an error), \
                2 when a fixture or an argument is invalid.
                """)

        @Option(name: .customLong("fixture"), help: ArgumentHelp("A fixture (.h5); repeat for more.", valueName: "file"))
        var fixtures: [String] = []

        @Option(name: .customLong("as"), help: ArgumentHelp(
            "Judge every fixture as this optimizer instead of the ones they name.", valueName: "name"))
        var optimizer: String?

        @OptionGroup var bounds: ToleranceOptions

        @Option(help: ArgumentHelp("Also write the reports as JSON to this file.", valueName: "file"))
        var json: String?

        @Flag(help: "Print the summary as a Markdown table (one row per optimizer) after the reports.")
        var markdown = false

        @Option(help: ArgumentHelp("Replay this many catalogue entries at once.", valueName: "n"))
        var jobs = 1

        @OptionGroup var isolation: IsolationOptions

        func validate() throws {
            if fixtures.isEmpty { throw ValidationError("give at least one --fixture") }
            if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
        }

        func run() throws {
            let report = TextReport()
            let given = bounds.bounds
            var judge: (@Sendable (FixtureHeader) -> Tolerance)?
            if bounds.areGiven { judge = { @Sendable header in given.tolerance(for: header) } }
            let tester = MutationTester(optimizers: VerifyCommand.optimizers, bounds: judge)
            let progress = ProgressLine.forStandardError(json: json != nil)
            let jobs = jobs
            if let isolation = isolation.isolation, let line = Self.firstCrash(fixtures, isolation: isolation, jobs: jobs) {
                report.error(line)
                throw ExitCode(2)
            }
            let reports: [MutationReport]
            do {
                reports = try tester.run(fixtures, as: optimizer) { entries, check in
                    let byID = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                    let rows = orderedMap(
                        entries.map(\.id), jobs: jobs,
                        progress: { finished, total, item in progress.update(finished: finished, total: total, item: item) }
                    ) { id in check(byID[id]!) }
                    progress.finish()
                    return rows
                }
            } catch let error as FixtureError {
                report.error(error.description)
                throw ExitCode(2)
            } catch ReplayError.invalidInput(_, let message) {
                report.error("--as \(optimizer ?? "?"): \(message)")  // the one argument a tester rejects
                throw ExitCode(2)
            } catch {
                report.error("\(error)")
                throw ExitCode(2)
            }
            for r in reports { MutationText.lines(r).forEach(report.standardOutput) }
            if markdown { MutationText.markdown(reports).forEach(report.standardOutput) }
            if let json, !writeReport("the JSON report", to: json, readingFrom: fixtures, report: report, { try Explain.encoder.encode(reports) }) {
                throw ExitCode(2)
            }
        }
    }
}

extension VerifyCommand.Mutants {
    /// Reads and replays each fixture once in a child process, as `check` does, `jobs` at a
    /// time: the line for the first (in the order given) whose child crashed or ran out of
    /// time, `nil` when none did. The mutation run then reads them in this process: it
    /// replays every fixture many times over, through the same reader.
    static func firstCrash(_ fixtures: [String], isolation: Isolation, jobs: Int) -> String? {
        let verifier = FixtureVerifier(
            bounds: Bounds(), teacherForcing: false, parallelism: Parallelism(threads: 1), optimizers: .builtIn,
            replayedAs: nil, details: false)
        let failures = orderedMap(fixtures, jobs: jobs) { path -> String? in
            if case .failure(let failure) = isolation.run(.check(verifier, path: path), as: FixtureRun.self) {
                return failure.line(file: path)
            }
            return nil
        }
        return failures.lazy.compactMap { $0 }.first
    }
}

/// Mutation reports as `verify mutants` prints them.
enum MutationText {
    static func lines(_ r: MutationReport) -> [String] {
        let judged = r.rows.filter { $0.status == .killed || $0.status == .survived }.count
        var lines = [
            "\(r.optimizer): \(r.killed) of \(judged) killed (score \(percent(r.score))) by \(r.fixtures.count) fixture(s)"
                + (r.failingFixtures.isEmpty ? "" : "; \(r.failingFixtures.count) fixture(s) the optimizer itself fails, not used")
        ]
        for row in r.rows {
            switch row.status {
            case .killed:
                lines.append("  killed    \(row.title) [\(row.id)] by \(name(row.killedBy))")
            case .survived:
                if let explanation = row.explanation {
                    lines.append("  survived  \(row.title) [\(row.id)]: indistinguishable from torch: \(explanation)")
                } else {
                    lines.append("  SURVIVED  \(row.title) [\(row.id)]: would be killed by \(row.advice)")
                }
            case .equivalent:
                lines.append("  equiv.    \(row.title) [\(row.id)]: \(row.explanation ?? "")")
            case .notApplicable:
                lines.append("  n/a       \(row.title) [\(row.id)]: replays none of these fixtures")
            }
        }
        return lines
    }

    /// `| optimizer | fixtures | entries | killed | equivalent | score | survivors |`; a survivor
    /// the catalogue explains is marked † (indistinguishable from torch's own rounding).
    static func markdown(_ reports: [MutationReport]) -> [String] {
        ["", "| optimizer | fixtures | entries | killed | equivalent | score | survivors |", "|---|---:|---:|---:|---:|---:|---|"]
            + reports.map { r in
                let equivalent = r.rows.filter { $0.status == .equivalent }.count
                let survivors = r.survivors.map { "`\($0.id)`" + ($0.explanation == nil ? "" : " †") }.joined(separator: ", ")
                return "| \(r.optimizer) | \(r.fixtures.count) | \(r.rows.count) | \(r.killed) | \(equivalent) | \(percent(r.score)) | "
                    + "\(survivors.isEmpty ? "—" : survivors) |"
            }
    }

    static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }

    static func name(_ path: String?) -> String { path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "?" }
}
