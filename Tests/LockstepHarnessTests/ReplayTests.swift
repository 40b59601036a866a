import Foundation
import LockstepTestSupport
import LockstepFormat
import LockstepHDF5
import Testing

@testable import LockstepHarness

/// A copy of a bundled fixture, changed in one place.
func brokenCopy(of name: String, in directory: URL, _ edit: (HDF5Group) throws -> Void) throws -> String {
    let source = repositoryRoot.appendingPathComponent("fixtures/\(name)")
    let path = directory.appendingPathComponent("broken-\(UUID().uuidString).h5").path
    try FileManager.default.copyItem(atPath: source.path, toPath: path)
    do {
        let file = try HDF5File.open(updatingAt: path)
        try edit(try file.root)
    }
    return path
}

@Suite("Replay")
struct ReplayTests {
    let directory = FileManager.default.temporaryDirectory

    func replay(_ path: String) throws -> VerificationResult {
        try Replay(tolerance: .defaults(for: .float32)).run(FixtureReader(path: path))
    }

    @Test func anUnknownOptimizerIsInvalidInput() throws {
        let path = try brokenCopy(of: "adamw.h5", in: directory) { try $0.setAttribute("optimizer", string: "Lion") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ReplayError.invalidInput(object: "/", message: "unknown optimizer 'Lion'; known: \(OptimizerRegistry.names.joined(separator: ", "))")) {
            try replay(path)
        }
    }

    @Test func aRejectedHyperparameterIsInvalidInputWithTorchsMessage() throws {
        let path = try brokenCopy(of: "adamw.h5", in: directory) { root in
            try root.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "lr": -0.01}]"#)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ReplayError.invalidInput(object: "/", message: "AdamW rejects the fixture: Invalid learning rate: -0.01")) {
            try replay(path)
        }
    }

    @Test func aGroupThatDisagreesWithTheImplementationIsAnError() throws {
        let path = try brokenCopy(of: "adamw_fused_f32.h5", in: directory) { root in
            let groups = try root.stringAttribute("param_groups").replacingOccurrences(of: "\"fused\": true", with: "\"fused\": false")
            try root.setAttribute("param_groups", string: groups)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ReplayError.invalidInput(
            object: "/", message: "reference implementation 'fused' disagrees with param group 0, which has fused=false")) {
            try replay(path)
        }
    }

    @Test func aStateKeyTheOptimizerDoesNotKeepIsAnError() throws {
        let path = try brokenCopy(of: "adamw.h5", in: directory) { root in
            let state = try root.group("params").group("w").group("state")
            try state.createDataset("momentum_buffer", shape: [30, 5, 7], values: [Float](repeating: 0, count: 30 * 35),
                                    layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: ReplayError.self) { try replay(path) }
        #expect(error == .invalidInput(
            object: "/params/w/state/momentum_buffer",
            message: "AdamW keeps no state 'momentum_buffer' (it keeps exp_avg, exp_avg_sq, step)"))
    }

    @Test func aChangedGoldenValueFailsAtItsStepAndElement() throws {
        let path = try brokenCopy(of: "adamw_fused_f32.h5", in: directory) { root in
            let w = try root.group("params").group("w")
            var rows = try w.dataset("param").read(Float.self)
            rows[35 * 6 + 12] = rows[35 * 6 + 12].nextUp  // step 7, element 12 of the [5, 7] parameter
            try w.removeChild("param")
            try w.createDataset("param", shape: [30, 5, 7], values: rows, layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(tolerance: .exact, teacherForcing: true).run(FixtureReader(path: path))
        #expect(!result.passed)
        let failure = try #require(result.firstFailure)
        #expect(failure.step == 7)
        #expect(failure.tensor == "/params/w/param")
        #expect(failure.index == 12)
        #expect(failure.multiIndex == [1, 5])
        #expect(failure.ulps == 1)
    }

    @Test func closureModeIsReportedAsNotYetSupported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("closure-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = FixtureHeader(
            optimizer: "AdamW", dtype: .float64, steps: 1, mode: .closure, paramGroups: [.init(params: ["x"], hyperparameters: [:])],
            reference: .init(json: [:]))
        try FixtureWriter.write(
            FixtureTrajectory<Double>(
                header: header,
                parameters: [.init(name: "x", shape: [2], initial: [0, 0], grad: nil, param: [[0, 0]])],
                losses: [1], closureCalls: [1], objective: .rosenbrock(a: 1, b: 100)),
            to: dir)
        #expect(throws: ReplayError.self) { try Replay(tolerance: .exact).run(FixtureReader(path: dir)) }
    }
}
