import Foundation
import Testing

@testable import LockstepOptim

@Suite("ASGD")
struct ASGDTests {
    typealias Options = ASGD<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = ASGD<Float>.standardDefaults
        #expect(o.lr == 1e-2 && o.lambd == 1e-4 && o.alpha == 0.75 && o.t0 == 1e6 && o.weightDecay == 0 && !o.maximize)
        #expect(try ASGD([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all(
            { try ASGD($0, .init(t0: 2, weightDecay: 0.1)) }, { try ASGD($0, .init(lambd: 1e-2, t0: 2, foreach: true)) })
    }

    /// Step 1 from the initial state (η = γ, μ = 1): θ ← θ(1 − λγ) − γg, ā ← θ, and η, μ
    /// become float32 values.
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try ASGD([p], .init(lr: 0.5, lambd: 0.1, t0: 0))
        try p.setGrad([0.3, -4])
        try optimizer.step()
        let eta = Double(Float(0.5))
        let expected = zip([1.0, -2], [0.3, -4]).map { theta, g in theta * (1 - 0.1 * eta) - eta * g }
        #expect(p.value == expected)
        let state = try #require(optimizer.state(of: p))
        #expect(state["ax"] == .tensor(shape: [2], values: expected))
        #expect(state["eta"] == .scalar(Double(Float(0.5 / pow(1 + 0.1 * 0.5, 0.75)))))
        #expect(state["mu"] == .scalar(1))
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(lambd: -1e-4), OptimizerError(.valueError, "Invalid lambd value: -0.0001")),
        (Options(alpha: -0.75), OptimizerError(.valueError, "Invalid alpha value: -0.75")),
        (Options(weightDecay: -1), OptimizerError(.valueError, "Invalid weight_decay value: -1.0")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try ASGD<Double>.validate(options) }
    }
}
