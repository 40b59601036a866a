import Foundation
import Testing

@testable import LockstepOptim

@Suite("NAdam")
struct NAdamTests {
    typealias Options = NAdam<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = NAdam<Float>.standardDefaults
        #expect(o.lr == 2e-3 && o.betas == Betas(0.9, 0.999) && o.eps == 1e-8 && o.weightDecay == 0)
        #expect(o.momentumDecay == 4e-3 && !o.decoupledWeightDecay && !o.maximize && o.foreach == nil)
        #expect(try NAdam([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all(
            { try NAdam($0, .init(weightDecay: 0.1, decoupledWeightDecay: true)) },
            { try NAdam($0, .init(weightDecay: 0.1, foreach: true)) })
    }

    /// Step 1 from zero state, in Double: μ₁ = β₁(1 − ½·0.96^ψ), Π = μ₁ (rounded to float32),
    /// m = (1 − β₁)g, d = √(v / (1 − β₂)) + ε = |g| + ε.
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try NAdam([p], .init(lr: 0.1))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        let mu = 0.9 * (1 - 0.5 * pow(0.96, 0.004)), muNext = 0.9 * (1 - 0.5 * pow(0.96, 0.008))
        let product = Double(Float(mu))
        let expected = zip([1.0, -2], [0.3, -4]).map { theta, g in
            let denom = abs(g) + 1e-8
            return theta - 0.1 * (1 - mu) / (1 - product) * g / denom - 0.1 * muNext / (1 - product * muNext) * (0.1 * g) / denom
        }
        #expect(OptimizerLaws.close(p.value, expected, relative: 1e-14))
        #expect(optimizer.state(of: p)?["mu_product"] == .scalar(product))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(eps: -1), OptimizerError(.valueError, "Invalid epsilon value: -1.0")),
        (Options(betas: Betas(-0.1, 0.999)), OptimizerError(.valueError, "Invalid beta parameter at index 0: -0.1")),
        (Options(betas: Betas(0.9, 1)), OptimizerError(.valueError, "Invalid beta parameter at index 1: 1.0")),
        (Options(weightDecay: -1), OptimizerError(.valueError, "Invalid weight_decay value: -1.0")),
        (Options(momentumDecay: -0.004), OptimizerError(.valueError, "Invalid momentum_decay value: -0.004")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try NAdam<Double>.validate(options) }
    }
}
