import Foundation
import Testing

@testable import LockstepOptim

@Suite("Adamax")
struct AdamaxTests {
    typealias Options = Adamax<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = Adamax<Float>.standardDefaults
        #expect(o.lr == 2e-3 && o.betas == Betas(0.9, 0.999) && o.eps == 1e-8 && o.weightDecay == 0 && !o.maximize)
        #expect(try Adamax([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all({ try Adamax($0, .init(weightDecay: 0.1)) }, { try Adamax($0, .init(maximize: true)) })
    }

    /// Step 1 from zero state: m = (1 − β₁)g, u = |g| + ε, θ ← θ − γ/(1 − β₁) · m/u.
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try Adamax([p], .init(lr: 0.1))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        let expected = zip([1.0, -2], [0.3, -4]).map { (theta: Double, g: Double) -> Double in
            let stepSize: Double = 0.1 / (1 - 0.9)
            return theta - stepSize * (0.1 * g) / (abs(g) + 1e-8)
        }
        #expect(OptimizerLaws.close(p.value, expected))
        #expect(optimizer.state(of: p)?["exp_inf"] == .tensor(shape: [2], values: [0.3 + 1e-8, 4 + 1e-8]))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(eps: -1), OptimizerError(.valueError, "Invalid epsilon value: -1.0")),
        (Options(betas: Betas(1, 0.999)), OptimizerError(.valueError, "Invalid beta parameter at index 0: 1.0")),
        (Options(betas: Betas(0.9, 1)), OptimizerError(.valueError, "Invalid beta parameter at index 1: 1.0")),
        (Options(weightDecay: -1), OptimizerError(.valueError, "Invalid weight_decay value: -1.0")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try Adamax<Double>.validate(options) }
    }
}
