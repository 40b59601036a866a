import Foundation
import Testing

@testable import LockstepOptim

@Suite("RAdam")
struct RAdamTests {
    typealias Options = RAdam<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = RAdam<Float>.standardDefaults
        #expect(o.lr == 1e-3 && o.betas == Betas(0.9, 0.999) && o.eps == 1e-8 && o.weightDecay == 0)
        #expect(!o.decoupledWeightDecay && !o.maximize && o.foreach == nil)
        #expect(try RAdam([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all(
            { try RAdam($0, .init(weightDecay: 0.1, decoupledWeightDecay: true)) },
            { try RAdam($0, .init(weightDecay: 0.1, foreach: true)) })
    }

    /// The variance is rectified from the first step with ρₜ > 5: step 6 for β₂ = 0.999.
    @Test func rectificationStartsAtStepSix() {
        let steps = (1...8).map { RAdam<Double>.Coefficients(Options(), step: Double($0)).rect != nil }
        #expect(steps == [false, false, false, false, false, true, true, true])
    }

    /// Step 1 (unrectified): θ ← θ − γ·m/(1 − β₁) = θ − γg, on both paths.
    @Test(arguments: [false, true])
    func firstStepByHand(foreach: Bool) throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try RAdam([p], .init(lr: 0.1, foreach: foreach))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        #expect(OptimizerLaws.close(p.value, [1 - 0.1 * 0.3, -2 + 0.1 * 4], relative: 1e-15))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(eps: -1), OptimizerError(.valueError, "Invalid epsilon value: -1.0")),
        (Options(betas: Betas(1, 0.999)), OptimizerError(.valueError, "Invalid beta parameter at index 0: 1.0")),
        (Options(betas: Betas(0.9, -1)), OptimizerError(.valueError, "Invalid beta parameter at index 1: -1.0")),
        (Options(weightDecay: -1), OptimizerError(.valueError, "Invalid weight_decay value: -1.0")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try RAdam<Double>.validate(options) }
    }
}
