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
