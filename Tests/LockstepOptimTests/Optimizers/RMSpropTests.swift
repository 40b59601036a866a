import Foundation
import Testing

@testable import LockstepOptim

@Suite("RMSprop")
struct RMSpropTests {
    typealias Options = RMSprop<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = RMSprop<Float>.standardDefaults
        #expect(o.lr == 1e-2 && o.alpha == 0.99 && o.eps == 1e-8 && o.weightDecay == 0 && o.momentum == 0)
        #expect(!o.centered && !o.maximize && o.foreach == nil)
        #expect(try RMSprop([Parameter<Float>([1])]).defaults == o)
    }

    @Test func stateKeysFollowMomentumAndCentered() {
        #expect(RMSprop<Double>.stateKeys(for: Options()) == ["step", "square_avg"])
        #expect(RMSprop<Double>.stateKeys(for: Options(momentum: 0.9, centered: true))
            == ["step", "square_avg", "momentum_buffer", "grad_avg"])
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all({ try RMSprop($0, .init(momentum: 0.9, centered: true)) }, { try RMSprop($0, .init(weightDecay: 0.1)) })
    }

    /// Step 1 from zero state: v = (1 − α)g², θ ← θ − γ·g/(√v + ε).
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([2, -3])
        let optimizer = try RMSprop([p], .init(lr: 0.1))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        let expected = zip([2.0, -3], [0.3, -4]).map { theta, g in theta - 0.1 * g / ((0.01 * g * g).squareRoot() + 1e-8) }
        #expect(OptimizerLaws.close(p.value, expected))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(eps: -1), OptimizerError(.valueError, "Invalid epsilon value: -1.0")),
        (Options(momentum: -0.9), OptimizerError(.valueError, "Invalid momentum value: -0.9")),
        (Options(weightDecay: -1), OptimizerError(.valueError, "Invalid weight_decay value: -1.0")),
        (Options(alpha: -0.99), OptimizerError(.valueError, "Invalid alpha value: -0.99")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try RMSprop<Double>.validate(options) }
    }
}
