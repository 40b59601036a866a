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
        let known = OptimizerCatalog.builtIn.names.joined(separator: ", ")
        #expect(OptimizerCatalog.builtIn.names.starts(with: ["Adam", "AdamW", "HFAdamW"]))
        #expect(throws: ReplayError.invalidInput(object: "/", message: "unknown optimizer 'Lion'; known: \(known)")) {
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

    @Test func aClosureModeObjectiveOfTheWrongSizeIsInvalidInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("closure-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = FixtureHeader(
            optimizer: "LBFGS", dtype: .float64, steps: 1, mode: .closure, paramGroups: [.init(params: ["x"], hyperparameters: [:])],
            reference: .init(json: [:]))
        try FixtureWriter.write(
            FixtureTrajectory<Double>(
                header: header,
                parameters: [.init(name: "x", shape: [2], initial: [0, 0], grad: nil, param: [[0, 0]])],
                losses: [1], closureCalls: [1], objective: .quadratic(a: [1, 0, 0, 0, 1, 0, 0, 0, 1], b: [1, 1, 1], n: 3)),
            to: dir)
        #expect(throws: ReplayError.invalidInput(
            object: "/objective", message: "the quadratic objective takes 3 variables, the parameters hold 2")) {
            try Replay(tolerance: .exact).run(FixtureReader(path: dir))
        }
    }

    /// Closure mode compares what `step(closure)` returned and how often it called the
    /// closure; a changed count fails exactly there.
    @Test(arguments: [("closure_calls", 3), ("loss", 3)])
    func aChangedClosureRecordFailsNamingIt(_ dataset: String, _ step: Int) throws {
        let path = try brokenCopy(of: "lbfgs_strong_wolfe_rosenbrock_f64.h5", in: directory) { root in
            let steps = try root.group("steps")
            if dataset == "closure_calls" {
                var counts = try steps.dataset("closure_calls").read(Int64.self)
                counts[step - 1] += 1
                try steps.removeChild("closure_calls")
                try steps.createDataset("closure_calls", shape: [counts.count], values: counts, layout: .contiguous)
            } else {
                var losses = try steps.dataset("loss").read(Double.self)
                losses[step - 1] *= 1.001
                try steps.removeChild("loss")
                try steps.createDataset("loss", shape: [losses.count], values: losses, layout: .contiguous)
            }
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        for teacherForcing in [false, true] {
            let result = try Replay(tolerance: .defaults(for: .float64), teacherForcing: teacherForcing).run(FixtureReader(path: path))
            let failure = try #require(result.firstFailure)
            #expect(failure.tensor == "/steps/\(dataset)")
            #expect(failure.step == step)
            #expect(result.tensors.filter { !$0.passed }.map(\.tensor) == ["/steps/\(dataset)"])
        }
    }
}
