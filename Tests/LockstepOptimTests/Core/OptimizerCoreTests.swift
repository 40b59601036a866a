import Foundation
import Testing

@testable import LockstepOptim

/// A deterministic gradient stream for tests (not a golden: goldens come from PyTorch).
func gradient<Scalar: TensorScalar>(_ count: Int, step: Int, seed: Int = 0) -> [Scalar] {
    (0..<count).map { i in Scalar(Foundation.sin(Double(i * 7 + step * 13 + seed)) * 0.5) }
}

@Suite("Optimizer core")
struct OptimizerCoreTests {
    /// The example in README.md, kept compiling and true.
    @Test func readmeExample() throws {
        let w = try Parameter<Float>(shape: [2, 3], value: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6])
        let b = Parameter<Float>([0, 0])
        var noDecay = AdamW<Float>.standardDefaults
        noDecay.weightDecay = 0
        let optimizer = try AdamW(groups: [
            ParamGroup(params: [w], options: AdamW<Float>.standardDefaults),
            ParamGroup(params: [b], options: noDecay),
        ])
        try w.setGrad([0.5, -1, 0.25, 2, 0, -0.5])
        try optimizer.step()
        #expect(optimizer.state(of: w)?["exp_avg"] != nil)
        #expect(optimizer.state(of: b) == nil)
        #expect(b.value == [0, 0])
        // First step from zero state: each element moves by lr·g/(|g|+eps), about lr·sign(g).
        #expect(abs(w.value[0] - (0.1 * (1 - 1e-5) - 1e-3)) < 1e-6)
    }

    @Test func groupsTakeDefaultsWhereTheyNameNothing() throws {
        let (a, b) = (Parameter<Float>([1, 2]), Parameter<Float>([3]))
        let defaults = AdamW<Float>.standardDefaults
        var custom = defaults
        custom.weightDecay = 0
        let optimizer = try AdamW(groups: [ParamGroup(params: [a], options: defaults), ParamGroup(params: [b], options: custom)])
        #expect(optimizer.paramGroups.count == 2)
        #expect(optimizer.paramGroups[1].options.weightDecay == 0)
        #expect(optimizer.paramGroups[1].options.lr == 1e-3)
        let c = Parameter<Float>([5])
        try optimizer.addParamGroup([c])
        #expect(optimizer.paramGroups[2].options == optimizer.defaults)
        #expect(optimizer.parameters.map(ObjectIdentifier.init) == [a, b, c].map(ObjectIdentifier.init))
    }

    @Test func optionsFromTorchJSONFillDefaultsAndRejectUnknownKeys() throws {
        let json = Data(#"{"lr": 0.5, "betas": [0.8, 0.99], "foreach": null, "weight_decay": 0}"#.utf8)
        let options = try Adam<Double>.Options.fromTorchJSON(json, defaults: AdamW<Double>.standardDefaults, optimizer: "AdamW")
        #expect(options.lr == 0.5)
        #expect(options.betas == Betas(0.8, 0.99))
        #expect(options.eps == 1e-8)
        #expect(options.decoupledWeightDecay)
        // A key whose default is nil (so it is not in the encoded defaults) is still known.
        let fused = try Adam<Double>.Options.fromTorchJSON(
            Data(#"{"fused": true, "foreach": null}"#.utf8), defaults: .init(), optimizer: "Adam")
        #expect(fused.fused == true)
        // What torch adds to a group besides hyperparameters is accepted.
        let scheduled = try Adam<Double>.Options.fromTorchJSON(
            Data(#"{"lr": 0.1, "initial_lr": 0.5, "param_names": ["w"]}"#.utf8), defaults: .init(), optimizer: "Adam")
        #expect(scheduled.lr == 0.1)
        let unknown = try #require(throws: OptimizerError.self) {
            try Adam<Double>.Options.fromTorchJSON(Data(#"{"momentum": 0.9}"#.utf8), defaults: .init(), optimizer: "Adam")
        }
        #expect(unknown.message == "Adam has no hyperparameter 'momentum'")
        #expect(throws: OptimizerError.self) {
            try Adam<Double>.Options.fromTorchJSON(Data(#"{"lr": "fast"}"#.utf8), defaults: .init(), optimizer: "Adam")
        }
        // A type error names the JSON path within the group and the type expected.
        for (json, message) in [
            (#"{"lr": "fast"}"#, "Adam hyperparameter 'lr': expected a number, found a string"),
            (#"{"lr": null}"#, "Adam hyperparameter 'lr': expected a number, found null"),
            (#"{"betas": [0.9, "x"]}"#, "Adam hyperparameter 'betas[1]': expected a number, found a string"),
            (#"{"betas": [0.9]}"#, "Adam hyperparameter 'betas[1]': missing: the list ends before it (expected a number)"),
            (#"{"amsgrad": {"a": 1}}"#, "Adam hyperparameter 'amsgrad': expected true or false, found an object"),
        ] {
            let error = try #require(throws: OptimizerError.self) {
                try Adam<Double>.Options.fromTorchJSON(Data(json.utf8), defaults: .init(), optimizer: "Adam")
            }
            #expect(error.message == message)
        }
    }

    @Test func aParameterInTwoGroupsIsRejected() throws {
        let p = Parameter<Double>([1])
        let optimizer = try Adam([p])
        let error = try #require(throws: OptimizerError.self) { try optimizer.addParamGroup([p]) }
        #expect(error == OptimizerError(.valueError, "some parameters appear in more than one parameter group"))
        let empty = try #require(throws: OptimizerError.self) { try Adam<Double>(groups: [], defaults: .init()) }
        #expect(empty.message == "optimizer got an empty parameter list")
    }

    /// Adding a group checks its parameters against a kept set, not against every
    /// parameter collected again: 50,000 groups took minutes when each add was linear.
    @Test(.timeLimit(.minutes(1)))
    func addingGroupsIsLinear() throws {
        let optimizer = try SGD([Parameter<Float>([0])])
        for _ in 0..<50_000 { try optimizer.addParamGroup([Parameter<Float>([1])]) }
        for _ in 0..<10_000 { try optimizer.addParamGroup([]) }
        #expect(optimizer.paramGroups.count == 60_001)
        let again = optimizer.paramGroups[25_000].params[0]
        #expect(throws: OptimizerError(.valueError, "some parameters appear in more than one parameter group")) {
            try optimizer.addParamGroup([again])
        }
        // AdamW rebuilds its storage wholesale; its set of parameters follows.
        let w = Parameter<Float>([1])
        let adamW = try AdamW([w])
        #expect(throws: OptimizerError.self) { try adamW.addParamGroup([w]) }
    }

    @Test func aParameterWithoutGradientIsSkippedAndGetsNoState() throws {
        let (a, b) = (Parameter<Float>([1, 2, 3]), Parameter<Float>([4, 5]))
        let optimizer = try AdamW([a, b], .init(lr: 0.1, weightDecay: 1e-2))
        try a.setGrad([1, -1, 0.5])
        try optimizer.step()
        #expect(b.value == [4, 5])
        #expect(optimizer.state(of: b) == nil)
        #expect(optimizer.state(of: a)?["step"] == .scalar(1))
        #expect(a.value != [1, 2, 3])
    }

    @Test func zeroGradClearsToNoneOrZeros() throws {
        let p = Parameter<Double>([1, 2])
        let optimizer = try Adam([p])
        try p.setGrad([3, 4])
        optimizer.zeroGrad(setToNone: false)
        #expect(p.grad == [0, 0])
        optimizer.zeroGrad()
        #expect(p.grad == nil)
    }

    @Test func stepWithClosureCallsItOnceAndReturnsItsLoss() throws {
        let p = Parameter<Double>([1, 2])
        let optimizer = try Adam([p], .init(lr: 0.1))
        var calls = 0
        let loss = try optimizer.step {
            calls += 1
            try p.setGrad(p.value)
            return 2.5
        }
        #expect(loss == 2.5)
        #expect(calls == 1)
        #expect(optimizer.state(of: p)?["step"] == .scalar(1))
    }

    @Test(arguments: [false, true])
    func stateDictRoundTripContinuesBitIdentically(amsgrad: Bool) throws {
        func make() throws -> (AdamW<Float>, [Parameter<Float>]) {
            let params = [Parameter<Float>([0.5, -1, 2, 0.25]), Parameter<Float>([3, -3])]
            let optimizer = try AdamW(params, .init(lr: 0.01, weightDecay: 1e-2, amsgrad: amsgrad))
            return (optimizer, params)
        }
        func run(_ optimizer: AdamW<Float>, _ params: [Parameter<Float>], steps: ClosedRange<Int>) throws {
            for step in steps {
                for (index, p) in params.enumerated() { try p.setGrad(gradient(p.count, step: step, seed: index)) }
                try optimizer.step()
            }
        }
        let (reference, referenceParams) = try make()
        try run(reference, referenceParams, steps: 1...10)

        let (first, firstParams) = try make()
        try run(first, firstParams, steps: 1...4)
        let saved = first.stateDict()
        #expect(saved.state.keys.sorted() == [0, 1])
        let (second, secondParams) = try make()
        for (p, q) in zip(secondParams, firstParams) { try p.setValue(q.value) }
        try second.loadStateDict(saved)
        #expect(second.stateDict() == saved)
        try run(second, secondParams, steps: 5...10)
        for (p, q) in zip(secondParams, referenceParams) {
            #expect(p.value.map(\.bitPattern) == q.value.map(\.bitPattern))
        }
    }

    @Test func loadStateDictRejectsAMismatchAndChangesNothing() throws {
        let (a, b) = (Parameter<Double>([1]), Parameter<Double>([2]))
        let optimizer = try Adam([a, b])
        let other = try Adam([Parameter<Double>([1])])
        let groups = try #require(throws: OptimizerError.self) {
            var dict = other.stateDict()
            dict.paramGroups.append(dict.paramGroups[0])
            try optimizer.loadStateDict(dict)
        }
        #expect(groups.message == "loaded state dict has a different number of parameter groups")
        let size = try #require(throws: OptimizerError.self) { try optimizer.loadStateDict(other.stateDict()) }
        #expect(size.message == "loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        var badKey = optimizer.stateDict()
        badKey.state[0] = ["step": .scalar(1), "exp_avg": .tensor(shape: [1], values: [0]), "momentum_buffer": .scalar(0)]
        #expect(throws: OptimizerError.self) { try optimizer.loadStateDict(badKey) }
        #expect(optimizer.state(of: a) == nil)
    }

    @Test func setStateChecksShapes() throws {
        let p = try Parameter<Float>(shape: [2, 2], value: [1, 2, 3, 4])
        let optimizer = try AdamW([p])
        let error = try #require(throws: OptimizerError.self) {
            try optimizer.setState(
                ["step": .scalar(1), "exp_avg": .tensor(shape: [3], values: [0, 0, 0]), "exp_avg_sq": .tensor(shape: [4], values: [0, 0, 0, 0])],
                of: p)
        }
        #expect(error.message == "state 'exp_avg' must be a tensor of shape [2, 2], got shape [3]")
        let missing = try #require(throws: OptimizerError.self) { try optimizer.setState(["step": .scalar(1)], of: p) }
        #expect(missing == OptimizerError(.keyError, "'exp_avg'"))
    }

    @Test func parametersCheckTheirShape() throws {
        #expect(throws: OptimizerError.self) { try Parameter<Float>(shape: [2, 2], value: [1]) }
        let p = Parameter<Float>([1, 2])
        #expect(throws: OptimizerError.self) { try p.setGrad([1]) }
        #expect(throws: OptimizerError.self) { try p.setValue([1, 2, 3]) }
        let scalar = try Parameter<Double>(shape: [], value: [3])
        #expect(scalar.count == 1)
        let empty = try Parameter<Double>(shape: [0, 3], value: [])
        #expect(empty.count == 0)
    }
}

/// The defaults of torch 2.15's constructors (`torch/optim/adam.py`, `adamw.py`) and of the
/// pytorch-transformers AdamW.
@Suite("Defaults")
struct DefaultsTests {
    @Test func adamAndAdamWHaveTorchsDefaults() throws {
        let adam = Adam<Float>.standardDefaults
        #expect(adam.lr == 1e-3 && adam.betas == Betas(0.9, 0.999) && adam.eps == 1e-8 && adam.weightDecay == 0)
        #expect(!adam.amsgrad && !adam.maximize && adam.fused == nil && !adam.decoupledWeightDecay)
        let adamW = AdamW<Float>.standardDefaults
        #expect(adamW.lr == 1e-3 && adamW.betas == Betas(0.9, 0.999) && adamW.eps == 1e-8 && adamW.weightDecay == 1e-2)
        #expect(adamW.decoupledWeightDecay)
        let optimizer = try AdamW([Parameter<Float>([1])])
        #expect(optimizer.defaults == adamW)
    }

    @Test func hfAdamWHasItsReferencesDefaults() throws {
        let options = HFAdamW<Double>.standardDefaults
        #expect(options.lr == 1e-3 && options.betas == Betas(0.9, 0.999) && options.eps == 1e-6)
        #expect(options.weightDecay == 0 && options.correctBias)
        #expect(try HFAdamW([Parameter<Double>([1])]).defaults == options)
    }
}
