import Foundation
import Testing

@testable import LockstepOptim

@Suite("Adafactor")
struct AdafactorTests {
    typealias Options = Adafactor<Double>.Options

    @Test func defaultsAreTorchs() {
        let o = Adafactor<Float>.standardDefaults
        #expect(o.lr == 1e-2 && o.beta2Decay == -0.8 && o.d == 1.0 && o.weightDecay == 0)
        #expect(o.eps == .init(nil, 1e-3))
        #expect(o.foreach == nil && !o.maximize)
    }

    @Test func epsDecodesTorchsPairWithNone() throws {
        let json = Data(#"{"eps": [null, 0.001], "beta2_decay": -0.5, "foreach": true}"#.utf8)
        let options = try Options.fromTorchJSON(json, defaults: .init(), optimizer: "Adafactor")
        #expect(options.eps == .init(nil, 1e-3))
        #expect(options.beta2Decay == -0.5 && options.foreach == true)
        let explicit = try Options.fromTorchJSON(Data(#"{"eps": [1e-30, 0.01]}"#.utf8), defaults: .init(), optimizer: "Adafactor")
        #expect(explicit.eps == .init(1e-30, 1e-2))
    }

    /// θ = [3, 4], g = [1, −2] at t = 1: β̂ = 1 so v = g², U = g/|g| = [1, −1] with RMS 1
    /// (no clipping), ρ = lr, α = RMS(θ)·ρ = (5/√2)·0.01.
    @Test func firstStepByHand() throws {
        let p = Parameter<Double>([3, 4])
        let optimizer = try Adafactor([p])
        try p.setGrad([1, -2])
        try optimizer.step()
        let alpha = 5 / 2.0.squareRoot() * 0.01
        #expect(abs(p.value[0] - (3 - alpha)) < 1e-15)
        #expect(abs(p.value[1] - (4 + alpha)) < 1e-15)
        #expect(optimizer.state(of: p)?["variance"] == .tensor(shape: [2], values: [1, 4]))
    }

    @Test func factoredStateHasRowAndColumnShapes() throws {
        let w = try Parameter<Float>(shape: [2, 3, 4], value: (0..<24).map { Float($0) / 10 })
        let s = try Parameter<Float>(shape: [], value: [0.5])
        let optimizer = try Adafactor([w, s])
        try w.setGrad(gradient(24, step: 1))
        try s.setGrad([0.25])
        try optimizer.step()
        let state = try #require(optimizer.state(of: w))
        #expect(Set(state.keys) == ["step", "row_var", "col_var"])
        #expect(state["row_var"]?.shape == [2, 3, 1])
        #expect(state["col_var"]?.shape == [2, 1, 4])
        #expect(Set(try #require(optimizer.state(of: s)).keys) == ["step", "variance"])
    }

    @Test func stateDictRoundTripsAndRejectsForeignKeys() throws {
        let (w, b) = (try Parameter<Double>(shape: [3, 2], value: [1, 2, 3, 4, 5, 6]), Parameter<Double>([1, -1]))
        let optimizer = try Adafactor([w, b], .init(weightDecay: 0.1))
        for step in 1...3 {
            try w.setGrad(gradient(6, step: step))
            try b.setGrad(gradient(2, step: step, seed: 5))
            try optimizer.step()
        }
        let saved = optimizer.stateDict()
        let twin = try Adafactor([Parameter<Double>([0, 0, 0, 0, 0, 0]), Parameter<Double>([0, 0])], .init(weightDecay: 0.1))
        #expect(throws: OptimizerError.self) { try twin.loadStateDict(saved) }  // shapes differ: [6] is not factored
        let same = try Adafactor(
            [try Parameter<Double>(shape: [3, 2], value: w.value), Parameter<Double>(b.value)], .init(weightDecay: 0.1))
        try same.loadStateDict(saved)
        #expect(same.stateDict() == saved)
        #expect(throws: OptimizerError.self) {
            try optimizer.setState(["step": .scalar(1), "variance": .tensor(shape: [3, 2], values: [0, 0, 0, 0, 0, 0])], of: w)
        }
    }

    @Test func sparseGradientsAreTorchsError() throws {
        let p = Parameter<Float>([1, 2])
        let optimizer = try Adafactor([p])
        try p.setGrad([0, 1], sparseMask: [false, true])
        #expect(throws: OptimizerError(.runtimeError, "Adafactor does not support sparse gradients")) { try optimizer.step() }
    }

    static let rejected: [(Options, String)] = [
        (.init(lr: -1), "Learning rate should be >= 0 but is: -1.0"),
        (.init(beta2Decay: 0.5), "beta2_decay should be <= 0 but is: 0.5"),
        (.init(eps: .init(-1e-30, 1e-3)), "epsilon1 should be >= 0 but is: -1e-30"),
        (.init(eps: .init(nil, -0.001)), "epsilon2 should be >= 0 but is: -0.001"),
        (.init(d: 0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
        (.init(weightDecay: -0.1), "weight_decay should be >= 0 but is: -0.1"),
        (.init(lr: .nan, beta2Decay: 1), "Learning rate should be >= 0 but is: nan"),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ message: String) {
        #expect(throws: OptimizerError(.valueError, message)) { try Adafactor<Double>.validate(options) }
    }
}
