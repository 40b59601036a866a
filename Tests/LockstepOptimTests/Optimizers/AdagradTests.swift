import Testing

@testable import LockstepOptim

/// What Adagrad's goldens cannot show: defaults, state from the constructor, hand-checked
/// steps, the fused kernel's decayed learning rate, validation, state dicts.
@Suite("Adagrad")
struct AdagradTests {
    @Test func defaultsAreTorchs() throws {
        let options = Adagrad<Float>.standardDefaults
        #expect(options.lr == 1e-2 && options.lrDecay == 0 && options.weightDecay == 0)
        #expect(options.initialAccumulatorValue == 0 && options.eps == 1e-10)
        #expect(!options.maximize && options.fused == nil && options.foreach == nil)
        #expect(try Adagrad([Parameter<Float>([1])]).defaults == options)
        #expect(Adagrad<Float>.stateKeys(for: options) == ["step", "sum"])
    }

    @Test func theConstructorGivesEveryParameterStateAndALaterGroupGetsItAtItsFirstStep() throws {
        let (a, b) = (Parameter<Float>([1, 2]), Parameter<Float>([3]))
        let optimizer = try Adagrad([a], .init(initialAccumulatorValue: 0.25))
        #expect(optimizer.state(of: a) == ["step": .scalar(0), "sum": .tensor(shape: [2], values: [0.25, 0.25])])
        // A later group's own initial_accumulator_value is ignored: torch takes self.defaults'.
        var options = optimizer.defaults
        options.initialAccumulatorValue = 4
        try optimizer.addParamGroup([b], options: options)
        #expect(optimizer.state(of: b) == nil)
        try optimizer.step()  // no gradients: nothing changes
        #expect(optimizer.state(of: b) == nil && a.value == [1, 2])
        try b.setGrad([0.5])
        try optimizer.step()
        #expect(optimizer.state(of: b) == ["step": .scalar(1), "sum": .tensor(shape: [1], values: [0.5])])
        #expect(optimizer.state(of: a)?["step"] == .scalar(0))
    }

    @Test(arguments: [false, true])
    func firstStepDividesByTheRootOfTheAccumulatedSquares(fused: Bool) throws {
        let p = Parameter<Double>([1, -1])
        let optimizer = try Adagrad([p], .init(lr: 0.5, initialAccumulatorValue: 16, eps: 0, fused: fused))
        try p.setGrad([3, -4])
        try optimizer.step()
        // s = 16 + g² = [25, 32]; θ − 0.5·g/√s
        #expect(optimizer.state(of: p)?["sum"] == .tensor(shape: [2], values: [25, 32]))
        #expect(p.value == [1 + -1.5 / 5, -1 + 2 / 32.0.squareRoot()])
    }

    @Test func weightDecayAndMaximizeChangeTheGradient() throws {
        let p = Parameter<Double>([2])
        let optimizer = try Adagrad([p], .init(lr: 1, weightDecay: 0.5, eps: 0, maximize: true))
        try p.setGrad([-4])
        try optimizer.step()
        // g = 4 + 0.5·2 = 5; s = 25; θ = 2 − 5/5
        #expect(optimizer.state(of: p)?["sum"] == .tensor(shape: [1], values: [25]))
        #expect(p.value == [1])
    }

    /// γ̃ = γ / (1 + (t − 1)η): Python rounds the product and the sum (for-loop and foreach);
    /// the fused kernel's C++ computes `1 + (t − 1)η` with one FMA where the capability has it.
    @Test(arguments: [(false, TorchCPUCapability.avx512), (true, .avx512), (true, .default)])
    func learningRateDecaysWithTheStep(fused: Bool, capability: TorchCPUCapability) throws {
        let (lr, lrDecay) = (0.05, 0.01)
        let p = Parameter<Double>([1])
        let optimizer = try Adagrad([p], .init(lr: lr, lrDecay: lrDecay, eps: 0, fused: fused))
        optimizer.cpuCapability = capability
        var expected = 1.0
        for step in 1...40 {
            try p.setGrad([1])
            try optimizer.step()
            let t = Double(step)
            let decay = fused && capability.hasFMA ? (1.0).addingProduct(t - 1, lrDecay) : 1 + (t - 1) * lrDecay
            expected = expected + -(lr / decay) * 1 / t.squareRoot()
            #expect(p.value[0].bitPattern == expected.bitPattern, "step \(step)")
        }
    }

    static let rejected: [(Adagrad<Float>.Options, OptimizerError)] = [
        (.init(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (.init(lrDecay: -0.5), OptimizerError(.valueError, "Invalid lr_decay value: -0.5")),
        (.init(weightDecay: -0.01), OptimizerError(.valueError, "Invalid weight_decay value: -0.01")),
        (.init(initialAccumulatorValue: -0.1), OptimizerError(.valueError, "Invalid initial_accumulator_value value: -0.1")),
        (.init(eps: -1e-10), OptimizerError(.valueError, "Invalid epsilon value: -1e-10")),
        (.init(fused: true, foreach: true), OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Adagrad<Float>.Options, _ expected: OptimizerError) {
        #expect(throws: expected) {
            try Adagrad<Float>(groups: [ParamGroup(params: [Parameter([1])], options: options)], defaults: options)
        }
    }

    @Test func stateDictRoundTripContinuesBitIdentically() throws {
        let (second, secondParams) = try expectStateDictRoundTrip {
            let params = [Parameter<Float>([0.5, -1, 2, 0.25]), Parameter<Float>([3, -3])]
            return (try Adagrad(params, .init(lr: 0.05, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1)), params)
        }
        #expect(throws: OptimizerError(.keyError, "'step'")) {
            try second.setState(["sum": .tensor(shape: [2], values: [0, 0])], of: secondParams[1])
        }
    }
}
