import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Format extension 13: the optimizer state before the first recorded step.
@Suite("State before the first step")
struct InitialStateTests {
    @Test func readsTheStateBeforeStepOne() throws {
        let dir = try TemporaryDirectory()
        try FixtureWriter.write(sampleWindowTrajectory(), to: dir.path("window.h5"))
        let reader = try FixtureReader(path: dir.path("window.h5"))
        let (w, b) = (reader.parameters[0], reader.parameters[1])
        #expect(w.initialStateKeys == ["exp_avg", "step"])
        #expect(b.initialStateKeys.isEmpty)
        var row: [Float] = []
        try reader.readInitialState("exp_avg", of: w, into: &row)
        #expect(row == [0.5, 1, 1.5, 2, 2.5, 3])
        try reader.readInitialState("step", of: w, into: &row)
        #expect(row == [4])
        let missing = try #require(throws: FixtureError.self) { try reader.readInitialState("step", of: b, into: &row) }
        #expect(missing.object == "/params/b/initial_state/step")
    }

    static let breakages: [Breakage] = [
        Breakage(name: "a key not recorded after each step", object: "/params/w/initial_state/exp_avg_sq",
                 message: "has no series /params/w/state/exp_avg_sq (a key of the state before step 1 is recorded after each step too)",
                 base: sampleWindowTrajectory, trajectory: { $0.parameters[0].initialState["exp_avg_sq"] = [1, 1, 1, 1, 1, 1] }),
        Breakage(name: "a shape other than a row's", object: "/params/w/initial_state/exp_avg",
                 message: "shape [3, 2] disagrees with the rows of /params/w/state/exp_avg; expected [2, 3]",
                 base: sampleWindowTrajectory,
                 file: { root in
                     let group = try root.group("params").group("w").group("initial_state")
                     try group.removeChild("exp_avg")
                     try group.createDataset("exp_avg", shape: [3, 2], values: [Float](repeating: 0, count: 6))
                 }),
        Breakage(name: "a dtype other than the file's", object: "/params/w/initial_state/step",
                 message: "holds float64, but the file's dtype is float32",
                 base: sampleWindowTrajectory,
                 file: { root in
                     let group = try root.group("params").group("w").group("initial_state")
                     try group.removeChild("step")
                     try group.createDataset("step", shape: [], values: [4.0] as [Double])
                 }),
        Breakage(name: "a parameter that joins later", object: "/params/b/initial_state",
                 message: "the parameter joins through add_param_group before step 2, so it has no state before step 1",
                 base: sampleWindowTrajectory,
                 trajectory: { trajectory in
                     trajectory.header.paramGroups = [
                         .init(params: ["w"], hyperparameters: [:]), .init(params: ["b"], hyperparameters: [:], addedAtStep: 2),
                     ]
                     trajectory.parameters[1].state = ["step": (shape: [], rows: [[.nan], [1], [2]])]
                     trajectory.parameters[1].initialState = ["step": [.nan]]
                 }),
    ]

    @Test(arguments: breakages)
    func rejects(_ breakage: Breakage) throws {
        try breakage.expectRejected()
    }
}
