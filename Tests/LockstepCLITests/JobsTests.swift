import Foundation
import LockstepHarness
import LockstepTestSupport
import Testing

@testable import LockstepCLI

/// `verify check --jobs N`: fixtures verified in parallel, reported in the order given.
@Suite("verify --jobs")
struct JobsTests {
    /// Passing, failing (`--exact` on a for-loop golden a few ULPs off) and invalid fixtures, mixed.
    static let fixtures = [
        "adam_forloop_f32.h5", "adamw_fused_f32.h5", "missing.h5", "adamw.h5", "sgd_forloop_f32.h5",
        "adagrad_fused_f32.h5", "adamw_fused_f64.h5",
    ].map(fixturePath)

    func verify(_ arguments: [String]) throws -> VerifyRun { try runVerify(arguments) }

    @Test func parallelOutputIsTheSerialOutputInInputOrder() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let arguments = ["check", "--exact"] + Self.fixtures.flatMap { ["--fixture", $0] }
        let serial = try verify(arguments + ["--jobs", "1", "--json", dir.path("serial.json")])
        let parallel = try verify(arguments + ["--jobs", "3", "--json", dir.path("parallel.json")])
        #expect(serial.status == 2)
        #expect(parallel.status == serial.status)
        #expect(parallel.stdout == serial.stdout)
        #expect(parallel.stderr == serial.stderr)
        // Each fixture's block in the order given; the invalid one on standard error.
        let headed = serial.stdout.split(separator: "\n").filter { $0.hasPrefix("PASS ") || $0.hasPrefix("FAIL ") }
        let order = headed.compactMap { line in Self.fixtures.firstIndex { line.contains($0 + ":") } }
        #expect(order == [0, 1, 3, 4, 5, 6])
        #expect(serial.stderr.contains("missing.h5"))
        let json = try Data(contentsOf: URL(fileURLWithPath: dir.path("serial.json")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("parallel.json"))) == json)
    }

    @Test func noProgressLineWhenStandardErrorIsNotATerminal() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let run = try verify(["--jobs", "2", "--fixture", fixturePath("adamw.h5"), "--fixture", fixturePath("adamw_fused_f32.h5")])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
    }

    @Test(arguments: ["0", "-3"])
    func jobsBelowOneExitTwo(_ jobs: String) {
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--jobs", jobs]) == 2)
    }

    @Test func progressIsShownOnlyToATerminalOutsideCIWithoutJSON() {
        #expect(ProgressLine.shouldShow(isTerminal: true, environment: [:], json: false))
        #expect(!ProgressLine.shouldShow(isTerminal: false, environment: [:], json: false))
        #expect(!ProgressLine.shouldShow(isTerminal: true, environment: ["CI": "true"], json: false))
        #expect(!ProgressLine.shouldShow(isTerminal: true, environment: [:], json: true))
        #expect(ProgressLine.shouldShow(isTerminal: true, environment: ["CI": ""], json: false))
    }

    @Test func theProgressLineIsOverwrittenInPlaceAndCleared() {
        let written = TextSink()
        let line = ProgressLine(isEnabled: true) { written.text += $0 }
        line.update(finished: 1, total: 2, item: "fixtures/adam_forloop_f32.h5")
        line.clear()
        line.redraw()
        line.finish()
        #expect(written.text == "\r[1/2] adam_forloop_f32.h5\u{1B}[K" + "\r\u{1B}[K" + "\r[1/2] adam_forloop_f32.h5\u{1B}[K" + "\r\u{1B}[K")

        let silent = TextSink()
        let off = ProgressLine(isEnabled: false) { silent.text += $0 }
        off.update(finished: 1, total: 2, item: "a.h5")
        off.redraw()
        off.finish()
        #expect(silent.text.isEmpty)
    }

    @Test func aCheckNotOnATerminalWritesNoProgress() {
        // In-process, with standard error declared a terminal: --json turns the line off.
        ProgressLine.$standardErrorIsTerminal.withValue(true) {
            #expect(ProgressLine.forStandardError(json: true).isEnabled == false)
        }
        ProgressLine.$standardErrorIsTerminal.withValue(false) {
            #expect(ProgressLine.forStandardError(json: false).isEnabled == false)
        }
    }

    @Test(arguments: [1, 2, 4, 16])
    func orderedMapKeepsInputOrder(_ jobs: Int) {
        let items = (0..<24).map { "\($0)" }
        var emitted: [Int] = []
        var finished: [Int] = []
        let results = orderedMap(
            items, jobs: jobs,
            progress: { count, total, _ in
                finished.append(count)
                #expect(total == items.count)
            },
            emit: { index, result in
                #expect(result == Int(items[index])! * 2)
                emitted.append(index)
            }
        ) { item in
            // Later items finish first.
            let value = Int(item)!
            Thread.sleep(forTimeInterval: Double(24 - value) * 0.0005)
            return value * 2
        }
        #expect(results == items.map { Int($0)! * 2 })
        #expect(emitted == Array(0..<24))
        #expect(finished == Array(1...24))
        #expect(orderedMap([], jobs: jobs) { $0 }.isEmpty)
    }
}

/// Text gathered from a closure.
final class TextSink: @unchecked Sendable {
    var text = ""
}
