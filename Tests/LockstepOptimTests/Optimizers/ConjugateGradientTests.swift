import Foundation
import Testing

@testable import LockstepOptim

@Suite("ConjugateGradient")
struct ConjugateGradientTests {
    @Test func defaultsAreTheReferences() {
        let o = ConjugateGradient<Float>.Options()
        #expect(o.lr == 1 && o.maxIter == 20 && o.maxEval == nil && o.effectiveMaxEval == 25)
        #expect(o.toleranceGrad == 1e-7 && o.toleranceChange == 1e-9 && o.beta == .polakRibierePlus && o.restart == nil)
        #expect(o.lineSearchFn == nil && o.c1 == 1e-4 && o.c2 == 0.1 && !o.maximize)
    }

    @Test func theReferencesKeysDecode() throws {
        let json = #"{"lr": 1, "max_iter": 4, "max_eval": 5, "tolerance_grad": 1e-07, "tolerance_change": 1e-09, "beta": "dai_yuan", "restart": 3, "line_search_fn": "strong_wolfe", "c1": 0.0001, "c2": 0.1, "maximize": false}"#
        let options = try ConjugateGradient<Double>.Options.fromTorchJSON(Data(json.utf8), defaults: .init(), optimizer: "ConjugateGradient")
        #expect(options == .init(maxIter: 4, maxEval: 5, beta: .daiYuan, restart: 3, lineSearchFn: .strongWolfe))
        for (name, rule) in zip(ConjugateGradient<Double>.BetaRule.names, ConjugateGradient<Double>.BetaRule.rules) {
            #expect(ConjugateGradient<Double>.BetaRule(name: name) == rule && rule.name == name)
        }
    }

    /// The messages of `tools/lockstep_golden/conjugate_gradient.py`, as Python prints them.
    @Test(arguments: [
        (ConjugateGradient<Float>.Options(lr: -1), "Invalid learning rate: -1.0"),
        (.init(beta: .unsupported("newton")),
         "Invalid beta rule: 'newton' - should be one of fletcher_reeves, polak_ribiere, polak_ribiere_plus, hestenes_stiefel, dai_yuan"),
        (.init(restart: 0), "Invalid restart interval: 0 - should be >= 1"),
        (.init(lineSearchFn: .unsupported("armijo")), "Invalid line_search_fn: 'armijo' - should be None or 'strong_wolfe'"),
        (.init(c1: 0.5, c2: 0.1), "Invalid Wolfe constants: c1=0.5, c2=0.1 - should satisfy 0 < c1 < c2 < 1"),
        (.init(c1: 1e-5, c2: 1), "Invalid Wolfe constants: c1=1e-05, c2=1.0 - should satisfy 0 < c1 < c2 < 1"),
    ])
    func validationIsTheReferences(_ options: ConjugateGradient<Float>.Options, _ message: String) {
        #expect(throws: OptimizerError(.valueError, message)) {
            try ConjugateGradient<Float>(groups: [ParamGroup(params: [Parameter([1])], options: options)], defaults: options)
        }
    }

    @Test func oneGroupOnlyAndStepNeedsAClosure() throws {
        #expect(throws: OptimizerError(.valueError, "ConjugateGradient doesn't support per-parameter options (parameter groups)")) {
            try ConjugateGradient<Float>(groups: [
                ParamGroup(params: [Parameter([1])], options: .init()), ParamGroup(params: [Parameter([2])], options: .init()),
            ])
        }
        let x = Parameter<Double>([1, 2])
        try x.setGrad([1, 2])
        #expect(throws: OptimizerError(.typeError, "ConjugateGradient.step() missing 1 required positional argument: 'closure'")) {
            try ConjugateGradient([x]).step()
        }
    }

    /// f = ½‖x‖² from (1, 2), max_iter 1: as the reference (torch 2.15, float64) gives it:
    /// loss 2.5, x = (0.6666666666666667, 1.3333333333333335), t = 1/3, d = (−1, −2).
    @Test func aHandCheckedFirstIteration() throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try ConjugateGradient([x], .init(maxIter: 1))
        let f = Quadratic(a: [[1, 0], [0, 1]], b: [0, 0], params: [x])
        #expect(try optimizer.step(closure: f.closure) == 2.5)
        #expect(f.calls == 1)
        #expect(x.value == [0.6666666666666667, 1.3333333333333335])
        let state = try #require(optimizer.state(of: x))
        #expect(state == [
            "func_evals": .scalar(1), "n_iter": .scalar(1), "d": .tensor(shape: [2], values: [-1, -2]), "t": .scalar(1.0 / 3),
            "prev_flat_grad": .tensor(shape: [2], values: [1, 2]), "prev_loss": .scalar(2.5),
        ])
        #expect(Set(state.keys) == Set(ConjugateGradient<Double>.stateKeys(for: optimizer.defaults)))
    }

    /// Maximizing −f follows the same path as minimizing f.
    @Test func maximizeFollowsTheNegatedObjective() throws {
        let (x, y) = (Parameter<Double>([1, -2, 0.5]), Parameter<Double>([1, -2, 0.5]))
        let a: [[Double]] = [[3, 1, 0], [1, 2, 0.5], [0, 0.5, 1]]
        let minimizer = try ConjugateGradient([x], .init(lineSearchFn: .strongWolfe))
        let maximizer = try ConjugateGradient([y], .init(lineSearchFn: .strongWolfe, maximize: true))
        let f = Quadratic(a: a, b: [1, -1, 2], params: [x])
        let g = Quadratic(a: a.map { $0.map { -$0 } }, b: [-1, 1, -2], params: [y])
        for _ in 0..<2 {
            _ = try minimizer.step(closure: f.closure)
            _ = try maximizer.step(closure: g.closure)
        }
        #expect(x.value == y.value && f.calls == g.calls)
    }

    @Test func theStateDictRoundTripsAndSteppingContinuesTheSame() throws {
        func run(_ x: Parameter<Double>, _ optimizer: ConjugateGradient<Double>, steps: Int) throws {
            let f = Quadratic(a: [[3, 1, 0], [1, 2, 0.5], [0, 0.5, 1]], b: [1, -1, 2], params: [x])
            for _ in 0..<steps { _ = try optimizer.step(closure: f.closure) }
        }
        let make = { (x: Parameter<Double>) in try ConjugateGradient([x], .init(maxIter: 1, beta: .hestenesStiefel, lineSearchFn: .strongWolfe)) }
        let (x, y) = (Parameter<Double>([1, 1, 1]), Parameter<Double>([1, 1, 1]))
        let (a, b) = (try make(x), try make(y))
        try run(x, a, steps: 2)
        try run(y, b, steps: 2)
        let copy = Parameter<Double>(x.value)
        let restored = try make(copy)
        try restored.loadStateDict(a.stateDict())
        try run(copy, restored, steps: 2)
        try run(y, b, steps: 2)
        #expect(copy.value == y.value)
    }
}
