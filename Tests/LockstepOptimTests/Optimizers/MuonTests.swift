import Foundation
import Testing

@testable import LockstepOptim

@Suite("Muon")
struct MuonTests {
    typealias Options = Muon<Double>.Options

    @Test func defaultsAreTorchs() {
        let o = Muon<Float>.standardDefaults
        #expect(o.lr == 1e-3 && o.weightDecay == 0.1 && o.momentum == 0.95 && o.nesterov)
        #expect(o.nsCoefficients == [3.4445, -4.7750, 2.0315] && o.eps == 1e-7 && o.nsSteps == 5 && o.adjustLRFn == nil)
    }

    @Test func decodesTorchsGroup() throws {
        let json = Data(#"{"lr": 0.02, "ns_coefficients": [2.0, -1.5, 0.5], "adjust_lr_fn": "match_rms_adamw", "ns_steps": 3}"#.utf8)
        let o = try Options.fromTorchJSON(json, defaults: .init(), optimizer: "Muon")
        #expect(o.nsCoefficients == [2, -1.5, 0.5] && o.adjustLRFn == .matchRMSAdamW && o.nsSteps == 3)
        let none = try Options.fromTorchJSON(Data(#"{"adjust_lr_fn": null}"#.utf8), defaults: .init(), optimizer: "Muon")
        #expect(none.adjustLRFn == nil)
    }

    @Test func onlyMatricesAsTorchSays() throws {
        let message = "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([37])"
        #expect(throws: OptimizerError(.valueError, message)) { try Muon([Parameter<Float>([Float](repeating: 0, count: 37))]) }
        #expect(throws: OptimizerError(
            .valueError, "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([])")) {
            try Muon([try Parameter<Float>(shape: [], value: [1])])
        }
        // torch checks only the constructor's groups; a later group fails when it steps.
        let optimizer = try Muon([try Parameter<Float>(shape: [1, 1], value: [1])])
        let vector = Parameter<Float>([1, 2])
        try optimizer.addParamGroup([vector])
        try vector.setGrad([1, 1])
        #expect(throws: OptimizerError(.valueError, "Param gradient must be a 2D matrix")) { try optimizer.step() }
    }

    @Test func adjustedLearningRates() {
        #expect(Muon<Float>.adjustedLR(TorchNumber(0.1), nil, rows: 8, cols: 2).value == 0.1 * 2)
        #expect(Muon<Float>.adjustedLR(TorchNumber(0.1), .original, rows: 2, cols: 8).value == 0.1)
        #expect(Muon<Float>.adjustedLR(TorchNumber(0.1), .matchRMSAdamW, rows: 4, cols: 9).value == 0.1 * (0.2 * 3))
        #expect(Muon<Float>.adjustedLR(TorchNumber(0.1), .spectralUnclamped, rows: 2, cols: 8).value == 0.1 * 0.5)
    }

    /// A 1 × 1 matrix with one Newton–Schulz step: X = U/|U| = 1, G = 1, then
    /// G ← bf16(b + c), X ← bf16(a + G); θ ← θ(1 − γλ) − γX.
    @Test func firstStepByHand() throws {
        let p = try Parameter<Float>(shape: [1, 1], value: [0.5])
        let optimizer = try Muon([p], .init(lr: 0.1, nsSteps: 1))
        try p.setGrad([2])
        try optimizer.step()
        let gramUpdate = BFloat16.round(Float(-4.7750) + Float(2.0315))
        let x = BFloat16.round(Float(3.4445) + gramUpdate)
        #expect(p.value == [Float.fma(x, -0.1, 0.5 * Float(1 - 0.1 * 0.1))])
        #expect(optimizer.state(of: p)?["momentum_buffer"] == .tensor(shape: [1, 1], values: [Float(0.05) * 2]))
    }

    @Test func stateRoundTrips() throws {
        let w = try Parameter<Double>(shape: [2, 3], value: [1, 2, 3, 4, 5, 6])
        let optimizer = try Muon([w], .init(lr: 0.02))
        try w.setGrad(gradient(6, step: 1))
        try optimizer.step()
        let twin = try Muon([try Parameter<Double>(shape: [2, 3], value: w.value)], .init(lr: 0.02))
        try twin.loadStateDict(optimizer.stateDict())
        #expect(twin.stateDict() == optimizer.stateDict())
        #expect(throws: OptimizerError.self) { try twin.setState(["step": .scalar(1)], of: twin.parameters[0]) }
    }

    static let rejected: [(Options, String)] = [
        (.init(lr: -1), "Learning rate should be >= 0 but is: -1.0"),
        (.init(momentum: -0.5), "momentum should be >= 0 but is: -0.5"),
        (.init(weightDecay: -0.1), "weight decay should be >= 0 but is: -0.1"),
        (.init(adjustLRFn: .init(rawValue: "cosine")), "Adjust learning rate function cosine is not supported"),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ message: String) {
        #expect(throws: OptimizerError(.valueError, message)) { try Muon<Double>.validate(options) }
    }

    @Test func iterationChecksAtStepAsTorch() throws {
        let p = try Parameter<Float>(shape: [2, 2], value: [1, 0, 0, 1])
        try p.setGrad([1, 0, 0, 1])
        #expect(throws: OptimizerError(.valueError, "Number of steps must be less than 100 for computational efficiency")) {
            try Muon([p], .init(nsSteps: 100)).step()
        }
        #expect(throws: OptimizerError(.valueError, "Coefficients must be a tuple of exactly 3 values")) {
            try Muon([p], .init(nsCoefficients: [1, 2])).step()
        }
    }
}
