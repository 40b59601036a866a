import Foundation
import Testing

@testable import LockstepOptim

@Suite("Adadelta")
struct AdadeltaTests {
    typealias Options = Adadelta<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = Adadelta<Float>.standardDefaults
        #expect(o.lr == 1.0 && o.rho == 0.9 && o.eps == 1e-6 && o.weightDecay == 0 && !o.maximize && o.foreach == nil)
        #expect(try Adadelta([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all({ try Adadelta($0, .init(weightDecay: 0.1)) }, { try Adadelta($0, .init(rho: 0.5)) })
    }

    /// Step 1 from zero state: v = (1 − ρ)g², Δ = √ε / √(v + ε) · g, θ ← θ − γΔ.
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try Adadelta([p], .init(lr: 0.5))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        let expected = zip([1.0, -2], [0.3, -4]).map { theta, g in
            theta - 0.5 * (1e-6).squareRoot() / (0.1 * g * g + 1e-6).squareRoot() * g
        }
        #expect(OptimizerLaws.close(p.value, expected))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(rho: 1.5), OptimizerError(.valueError, "Invalid rho value: 1.5")),
        (Options(rho: -0.1), OptimizerError(.valueError, "Invalid rho value: -0.1")),
        (Options(eps: -1e-6), OptimizerError(.valueError, "Invalid epsilon value: -1e-06")),
        (Options(weightDecay: -0.5), OptimizerError(.valueError, "Invalid weight_decay value: -0.5")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try Adadelta<Double>.validate(options) }
    }
}
