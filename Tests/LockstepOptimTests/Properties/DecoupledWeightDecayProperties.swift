import Foundation
import LockstepTesting
import PropertyBased
import Testing

@testable import LockstepOptim

/// Decoupled weight decay (AdamW): θ ← θ·(1 − lr·λ) before the Adam update, instead of L2's
/// g ← g + λθ; and HFAdamW's decay after the update.
@Suite("Decoupled weight decay", .shrinking)
struct DecoupledWeightDecayProperties {
    static let cases = PropertyBudget.cases(100)

    static func adamW(_ c: VectorCase, weightDecay: Double) -> OptimizerUnderTest {
        adamFamily("AdamW", #"{"lr": \#(c.lr), "weight_decay": \#(weightDecay)}"#)
    }

    /// A zero gradient leaves m = v = 0 and the update 0/(0 + ε) = 0, so each step is torch's
    /// `param.mul_(1 - lr * weight_decay)`: θ times the factor rounded to the dtype, step by step.
    @Test("AdamW with a zero gradient multiplies each parameter by fl(1 − lr·wd) per step, bit for bit")
    func zeroGradientDecaysGeometrically() async {
        func law<S: TensorScalar>(_: S.Type, _ c: VectorCase) throws {
            let theta = c.theta.map { S($0) }
            let zero = [S](repeating: 0, count: theta.count)
            let factor = S(1 - c.lr * c.weightDecay)
            var expected = theta
            let expectedTrajectory = (0..<12).map { _ in
                expected = expected.map { $0 * factor }
                return expected
            }
            let got = try trajectory(Self.adamW(c, weightDecay: c.weightDecay), theta, [[S]](repeating: zero, count: 12))
            expectBitIdentical(got, expectedTrajectory, "θ·fl(1 − lr·wd) iterated")
        }
        await boundedPropertyCheck(count: Self.cases, input: VectorCase.generator) { c in
            try law(Float.self, c)
            try law(Double.self, c)
        }
    }

    /// The update θₜ − (1 − lr·λ)·θₜ₋₁ is Adam's alone: the same for λ and for λ = 0 (within
    /// the rounding of θ·(1 − lr·λ), a few ε of |θ|).
    @Test("θ_t − (1 − lr·wd)·θ_{t−1} does not depend on wd, for any gradient sequence")
    func decayedDifferenceIndependentOfWeightDecay() async {
        func law<S: TensorScalar>(_: S.Type, _ c: VectorCase) throws {
            let theta = c.theta.map { S($0) }
            let gradients = (0..<8).map { t in c.gradient.map { S($0 * Foundation.sin(Double(3 * t + 1))) } }
            func updates(_ wd: Double) throws -> [[Double]] {
                let factor = S(1 - c.lr * wd)
                var previous = theta
                return try trajectory(Self.adamW(c, weightDecay: wd), theta, gradients).map { now in
                    defer { previous = now }
                    return zip(now, previous).map { Double($0) - Double(factor) * Double($1) }
                }
            }
            for (t, (u, v)) in zip(try updates(c.weightDecay), try updates(0)).enumerated() {
                let worst = zip(u, v).map { abs($0 - $1) }.max() ?? 0
                let scale = (theta.map { abs(Double($0)) }.max() ?? 0) + 10 * c.lr
                #expect(worst <= 8 * Double(S.ulpOfOne) * scale, "\(S.self) step \(t + 1): wd \(c.weightDecay) update \(u) vs wd 0 \(v)")
            }
        }
        await boundedPropertyCheck(count: Self.cases, input: VectorCase.generator) { c in
            try law(Float.self, c)
            try law(Double.self, c)
        }
    }

    /// Adam with L2 folds λθ into g, so its first step is lr·g′/(|g′| + ε) with g′ = g + λθ:
    /// never above lr. AdamW's adds lr·λ·θ to lr·sign(g) and exceeds lr where θ and g share a
    /// sign: the property "AdamW's first step stays ≤ lr" must fail, and its shrunk
    /// counterexample is the witness (a known issue: the run fails if no witness is found).
    @Test("Adam with L2 decay is not AdamW: its first step stays below lr in magnitude where AdamW's does not")
    func l2IsNotDecoupled() async {
        func firstStep<S: TensorScalar>(_ name: String, _: S.Type, _ c: VectorCase) throws -> [Double] {
            let entry = adamFamily(name, #"{"lr": \#(c.lr), "weight_decay": \#(c.weightDecay)}"#)
            let theta = c.theta.map { S($0) }
            let now = try trajectory(entry, theta, [c.gradient.map { S($0) }])[0]
            return zip(theta, now).map { abs(Double($0) - Double($1)) }
        }
        /// lr, with the rounding of θ − Δ in the dtype (2 ε of |θ|) and of the step (8 ε).
        func bound<S: TensorScalar>(_: S.Type, _ c: VectorCase, _ i: Int) -> Double {
            c.lr * (1 + 8 * Double(S.ulpOfOne)) + 2 * Double(S.ulpOfOne) * abs(c.theta[i])
        }
        await boundedPropertyCheck(count: Self.cases, input: VectorCase.generator) { c in
            let single = try firstStep("Adam", Float.self, c), double = try firstStep("Adam", Double.self, c)
            #expect(single.indices.allSatisfy { single[$0] <= bound(Float.self, c, $0) }, "float32 Adam-L2 first step \(single) above lr \(c.lr)")
            #expect(double.indices.allSatisfy { double[$0] <= bound(Double.self, c, $0) }, "float64 Adam-L2 first step \(double) above lr \(c.lr)")
        }
        await withKnownIssue("AdamW's first step exceeds lr: the witness that decoupled decay is not L2") {
            await boundedPropertyCheck(count: Self.cases, input: VectorCase.generator) { c in
                let moved = try firstStep("AdamW", Double.self, c)
                #expect(moved.indices.allSatisfy { moved[$0] <= bound(Double.self, c, $0) }, "AdamW first step \(moved) above lr \(c.lr)")
            }
        }
    }

    /// HFAdamW: θ′ = θ − α·u, then θ″ = θ′ − lr·λ·θ′. torch's order decays first:
    /// θ − lr·λ·θ − α·u. The difference θ″ − θ_torch is exactly lr·λ·α·u (within rounding),
    /// where α·u is HFAdamW's own update (its step with λ = 0).
    @Test("HFAdamW decays after the update: the difference from torch's order is exactly lr·wd·update")
    func hfAdamWDecaysAfterUpdate() async {
        func law<S: TensorScalar>(_: S.Type, _ c: VectorCase) throws {
            let theta = c.theta.map { S($0) }
            let g = [c.gradient.map { S($0) }]
            let decayed = adamFamily("HFAdamW", #"{"lr": \#(c.lr), "weight_decay": \#(c.weightDecay)}"#)
            let plain = adamFamily("HFAdamW", #"{"lr": \#(c.lr), "weight_decay": 0.0}"#)
            let hf = try trajectory(decayed, theta, g)[0]
            let update = zip(theta, try trajectory(plain, theta, g)[0]).map { Double($1) - Double($0) }  // −α·u
            let torchOrder = try trajectory(plain, theta.map { $0 - S(c.lr * c.weightDecay) * $0 }, g)[0]
            for i in theta.indices {
                let difference = Double(hf[i]) - Double(torchOrder[i])
                let expected = -c.lr * c.weightDecay * update[i]
                let tolerance = 8 * Double(S.ulpOfOne) * (abs(Double(theta[i])) + abs(update[i]))
                #expect(
                    abs(difference - expected) <= tolerance,
                    "\(S.self) element \(i): HF − torch order \(difference), lr·wd·update \(expected)")
            }
        }
        await boundedPropertyCheck(count: Self.cases, input: VectorCase.generator) { c in
            try law(Float.self, c)
            try law(Double.self, c)
        }
    }
}
