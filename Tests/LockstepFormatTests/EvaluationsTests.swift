import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Format extension 12: a closure-mode file that records every closure call.
@Suite("Recorded closure calls")
struct EvaluationsTests {
    @Test func readsEachCallRowByRow() throws {
        let dir = try TemporaryDirectory()
        let trajectory = sampleRecordedClosureTrajectory()
        try FixtureWriter.write(trajectory, to: dir.path("calls.h5"))
        let reader = try FixtureReader(path: dir.path("calls.h5"))
        #expect(reader.objective == nil)
        let evaluations = try #require(reader.evaluations)
        #expect(evaluations.count == 6)
        #expect((1...3).map { evaluations.rows(ofStep: $0) } == [0..<2, 2..<5, 5..<6])
        #expect(evaluations.rows(ofStep: 4).isEmpty)
        #expect(try reader.evaluationLosses() == [3, 2.5, 2, 1.75, 1.5, 1])
        #expect(try reader.closureCallCounts() == [2, 3, 1])
        let (w, b) = (reader.parameters[0], reader.parameters[1])
        #expect(w.hasEvaluations && b.hasEvaluations)
        #expect((0..<6).map { b.hasGrad(atEvaluation: $0) } == [true, true, false, true, true, true])
        #expect((0..<6).allSatisfy { w.hasGrad(atEvaluation: $0) })
        var row: [Float] = []
        for k in 0..<6 {
            try reader.read(.param, of: w, evaluation: k, into: &row)
            #expect(row == trajectory.parameters[0].evaluations?.param[k])
            try reader.read(.grad, of: b, evaluation: k, into: &row)
            #expect(row == trajectory.parameters[1].evaluations?.grad[k])
        }
        let beyond = try #require(throws: FixtureError.self) { try reader.read(.grad, of: w, evaluation: 6, into: &row) }
        #expect(beyond.object == "/params/w/evaluations/grad")
    }

    @Test func aFileWithoutThemHasNone() throws {
        let dir = try TemporaryDirectory()
        try FixtureWriter.write(sampleTrajectory(), to: dir.path("replay.h5"))
        let reader = try FixtureReader(path: dir.path("replay.h5"))
        #expect(reader.evaluations == nil)
        #expect(try reader.evaluationLosses() == nil)
        #expect(!reader.parameters[0].hasEvaluations)
        var row: [Float] = []
        let error = try #require(throws: FixtureError.self) { try reader.read(.param, of: reader.parameters[0], evaluation: 0, into: &row) }
        #expect(error.object == "/params/w/evaluations/param")
    }

    static let byRow = HDF5DatasetLayout.chunked(byRow: true, compression: false, checksum: true)

    /// Replaces `/params/<parameter>/evaluations/<name>`.
    static func replace<S: HDF5Scalar>(
        _ name: String, of parameter: String, shape: [Int], _ values: [S], layout: HDF5DatasetLayout = byRow
    ) -> @Sendable (HDF5Group) throws -> Void {
        { root in
            let group = try root.group("params").group(parameter).group("evaluations")
            if try group.childKind(name) != nil { try group.removeChild(name) }
            try group.createDataset(name, shape: shape, values: values, layout: layout)
        }
    }

    static let breakages: [Breakage] = [
        Breakage(name: "a parameter's calls disagree with closure_calls", object: "/params/w/evaluations/grad",
                 message: "has 5 rows, /steps/closure_calls sums to 6",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.parameters[0].evaluations?.grad.removeLast() }),
        Breakage(name: "the losses disagree with closure_calls", object: "/evaluations/loss",
                 message: "has 7 rows, /steps/closure_calls sums to 6",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.evaluationLosses?.append(0.5) }),
        Breakage(name: "has_grad disagrees with closure_calls", object: "/params/b/evaluations/has_grad",
                 message: "has 5 rows, /steps/closure_calls sums to 6",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.parameters[1].evaluations?.hasGrad?.removeLast() }),
        Breakage(name: "a parameter without calls", object: "/params/b/evaluations",
                 message: "group not found (/evaluations/loss records closure calls, so every parameter records them)",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.parameters[1].evaluations = nil }),
        Breakage(name: "calls without their losses", object: "/evaluations/loss",
                 message: "dataset not found (/params/w/evaluations records closure calls)",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.evaluationLosses = nil }),
        Breakage(name: "a gradient series missing", object: "/params/b/evaluations/grad", message: "dataset not found",
                 base: sampleRecordedClosureTrajectory,
                 file: { try $0.group("params").group("b").group("evaluations").removeChild("grad") }),
        Breakage(name: "rows of the wrong shape", object: "/params/w/evaluations/param",
                 message: "shape [6, 3, 2] disagrees with initial [2, 3]; expected [E, 2, 3], a row per closure call",
                 base: sampleRecordedClosureTrajectory,
                 file: replace("param", of: "w", shape: [6, 3, 2], [Float](repeating: 0, count: 36))),
        Breakage(name: "rows of the wrong dtype", object: "/params/b/evaluations/param",
                 message: "holds float64, but the file's dtype is float32",
                 base: sampleRecordedClosureTrajectory,
                 file: replace("param", of: "b", shape: [6, 4], [Double](repeating: 0, count: 24))),
        Breakage(name: "rows not chunked by call", object: "/params/w/evaluations/grad",
                 message: "is not chunked one closure call per chunk, so it cannot be streamed",
                 base: sampleRecordedClosureTrajectory,
                 file: replace("grad", of: "w", shape: [6, 2, 3], [Float](repeating: 0, count: 36), layout: .contiguous)),
        Breakage(name: "has_grad not a flag", object: "/params/b/evaluations/has_grad", message: "row 3 is 2, expected 0 or 1",
                 base: sampleRecordedClosureTrajectory,
                 file: replace("has_grad", of: "b", shape: [6], [1, 1, 0, 2, 1, 1] as [UInt8], layout: .contiguous)),
        Breakage(name: "losses in float32", object: "/evaluations/loss", message: "must be [E] float64, is [6] float32",
                 base: sampleRecordedClosureTrajectory,
                 file: { root in
                     let group = try root.group("evaluations")
                     try group.removeChild("loss")
                     try group.createDataset("loss", shape: [6], values: [Float](repeating: 1, count: 6))
                 }),
        Breakage(name: "a negative call count", object: "/steps/closure_calls", message: "row 1 is -1, expected a count of at least 0",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.closureCalls = [4, -1, 3] }),
        Breakage(name: "an objective besides the calls", object: "/objective",
                 message: "must be absent when /evaluations records the closure calls (a file carries one or the other)",
                 base: sampleRecordedClosureTrajectory, trajectory: { $0.objective = .rosenbrock(a: 1, b: 100) }),
        Breakage(name: "neither an objective nor the calls", object: "/objective",
                 message: "group not found: closure mode needs /objective or the recorded closure calls (/evaluations/loss and /params/<name>/evaluations)",
                 base: sampleRecordedClosureTrajectory,
                 trajectory: { trajectory in
                     trajectory.evaluationLosses = nil
                     for index in trajectory.parameters.indices { trajectory.parameters[index].evaluations = nil }
                 }),
        Breakage(name: "a parameter's calls in replay mode", object: "/params/w/evaluations",
                 message: "must be absent in replay mode (it records closure calls)",
                 trajectory: { $0.parameters[0].evaluations = .init(param: [], grad: []) }),
        Breakage(name: "the losses in replay mode", object: "/evaluations", message: "is only allowed in closure mode",
                 trajectory: { $0.evaluationLosses = [1, 2, 3] }),
    ]

    @Test(arguments: breakages)
    func rejects(_ breakage: Breakage) throws {
        try breakage.expectRejected()
    }
}
