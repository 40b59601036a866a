import Foundation
import LockstepTestSupport
import LockstepFormat
import LockstepHDF5

/// A small, well-formed replay trajectory to write and then break in one place.
/// Its numbers are arbitrary: these tests check the format, not an optimizer.
func sampleTrajectory(steps: Int = 3) -> FixtureTrajectory<Float> {
    func rows(_ count: Int, _ seed: Float) -> [[Float]] {
        (0..<steps).map { t in (0..<count).map { Float(t) + seed + Float($0) / 8 } }
    }
    let header = FixtureHeader(
        optimizer: "AdamW", dtype: .float32, steps: steps,
        paramGroups: [.init(params: ["w", "b"], hyperparameters: ["lr": .number(0.01), "betas": .array([.number(0.9), .number(0.999)])])],
        reference: .init(json: ["library": .string("torch"), "version": .string("2.15.0"), "implementation": .string("forloop")]),
        description: "format test", caseName: "sample", seed: 7)
    let w = FixtureTrajectory<Float>.Parameter(
        name: "w", shape: [2, 3], initial: [1, 2, 3, 4, 5, 6], grad: rows(6, 0.5), param: rows(6, 1),
        state: ["exp_avg": (shape: [2, 3], rows: rows(6, 2)), "step": (shape: [], rows: (1...steps).map { [Float($0)] })])
    let b = FixtureTrajectory<Float>.Parameter(
        name: "b", shape: [4], initial: [0, 0, 0, 0], grad: rows(4, -1), hasGrad: [true, false, true] + Array(repeating: true, count: max(0, steps - 3)),
        param: rows(4, 3))
    return FixtureTrajectory(header: header, parameters: [w, b])
}

/// A small, well-formed closure-mode trajectory that records its closure calls instead of
/// an objective (format extension 12): three steps calling the closure 2, 3 and 1 times.
func sampleRecordedClosureTrajectory() -> FixtureTrajectory<Float> {
    let calls: [Int64] = [2, 3, 1]
    let evaluations = Int(calls.reduce(0, +))
    func rows(_ count: Int, _ rowCount: Int, _ seed: Float) -> [[Float]] {
        (0..<rowCount).map { t in (0..<count).map { Float(t) + seed + Float($0) / 8 } }
    }
    var trajectory = sampleTrajectory()
    trajectory.header.mode = .closure
    trajectory.header.optimizer = "LBFGS"
    trajectory.header.paramGroups = [.init(params: ["w", "b"], hyperparameters: ["lr": .number(1)])]
    for index in trajectory.parameters.indices {
        let count = trajectory.parameters[index].initial.count
        trajectory.parameters[index].grad = nil
        trajectory.parameters[index].hasGrad = nil
        trajectory.parameters[index].state = [:]
        trajectory.parameters[index].evaluations = .init(
            param: rows(count, evaluations, 0.25), grad: rows(count, evaluations, -2),
            hasGrad: index == 1 ? [true, true, false, true, true, true] : nil)
    }
    trajectory.losses = [3, 2, 1]
    trajectory.closureCalls = calls
    trajectory.evaluationLosses = [3, 2.5, 2, 1.75, 1.5, 1]
    return trajectory
}

/// `sampleTrajectory` as a recording that starts in the middle of training (format
/// extension 13): `w`'s state before its first step.
func sampleWindowTrajectory() -> FixtureTrajectory<Float> {
    var trajectory = sampleTrajectory()
    trajectory.parameters[0].initialState = ["exp_avg": [0.5, 1, 1.5, 2, 2.5, 3], "step": [4]]
    return trajectory
}
