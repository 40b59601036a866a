import Foundation
import Testing

@testable import LockstepOptim

/// `f(x) = ½ xᵀAx − bᵀx` on the flat parameters, gradient `Ax − b`, as a closure that sets
/// the gradients and counts its calls.
final class Quadratic<Scalar: TensorScalar> {
    let a: [[Double]]
    let b: [Double]
    let params: [Parameter<Scalar>]
    var calls = 0

    init(a: [[Double]], b: [Double], params: [Parameter<Scalar>]) {
        (self.a, self.b, self.params) = (a, b, params)
    }

    func closure() throws -> Double {
        calls += 1
        let x = params.flatMap(\.value).map(Double.init)
        let ax = a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
        let grad = zip(ax, b).map { $0 - $1 }
        var offset = 0
        for parameter in params {
            try parameter.setGrad(grad[offset..<(offset + parameter.count)].map { Scalar($0) })
            offset += parameter.count
        }
        return 0.5 * zip(x, ax).reduce(0) { $0 + $1.0 * $1.1 } - zip(b, x).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

@Suite("LBFGS")
struct LBFGSTests {
    @Test func defaultsAreTorchs() {
        let o = LBFGS<Float>.Options()
        #expect(o.lr == 1 && o.maxIter == 20 && o.maxEval == nil && o.effectiveMaxEval == 25)
        #expect(o.toleranceGrad == 1e-7 && o.toleranceChange == 1e-9 && o.historySize == 100)
        #expect(o.lineSearchFn == nil && !o.maximize)
        // Python's floor division: -1 * 5 // 4 == -2.
        #expect(LBFGS<Float>.Options(maxIter: -1).effectiveMaxEval == -2)
    }

    @Test func torchsKeysDecodeAndAnyLineSearchNameIsAccepted() throws {
        let json = #"{"lr": 1, "max_iter": 4, "max_eval": 5, "tolerance_grad": 1e-07, "tolerance_change": 1e-09, "history_size": 3, "line_search_fn": "strong_wolfe", "maximize": false}"#
        let options = try LBFGS<Double>.Options.fromTorchJSON(Data(json.utf8), defaults: .init(), optimizer: "LBFGS")
        #expect(options == .init(maxIter: 4, maxEval: 5, historySize: 3, lineSearchFn: .strongWolfe))
        let armijo = try LBFGS<Double>.Options.fromTorchJSON(Data(#"{"line_search_fn": "armijo"}"#.utf8), defaults: .init(), optimizer: "LBFGS")
        #expect(armijo.lineSearchFn == .unsupported("armijo"))
    }

    @Test func validationIsTorchs() {
        #expect(throws: OptimizerError(.valueError, "Invalid learning rate: -1.0")) { try LBFGS<Float>([Parameter([1])], .init(lr: -1)) }
        #expect(throws: OptimizerError(.valueError, "LBFGS doesn't support per-parameter options (parameter groups)")) {
            try LBFGS<Float>(groups: [
                ParamGroup(params: [Parameter([1])], options: .init()), ParamGroup(params: [Parameter([2])], options: .init()),
            ])
        }
    }

    @Test func stepWithoutClosureIsTorchsTypeError() throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try LBFGS([x])
        try x.setGrad([1, 2])
        #expect(throws: OptimizerError(.typeError, "LBFGS.step() missing 1 required positional argument: 'closure'")) {
            try optimizer.step()
        }
        #expect(x.value == [1, 2])
    }

    @Test func anUnsupportedLineSearchFailsInStep() throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try LBFGS([x], .init(lineSearchFn: .unsupported("armijo")))
        let f = Quadratic(a: [[1, 0], [0, 1]], b: [0, 0], params: [x])
        #expect(throws: OptimizerError(.runtimeError, "only 'strong_wolfe' is supported")) { try optimizer.step(closure: f.closure) }
    }

    /// `history_size = 0` is accepted by torch's constructor; its second iteration pops from
    /// the empty history: `IndexError`, not a crash (checked in torch 2.15).
    @Test func historySizeZeroIsTorchsIndexError() throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try LBFGS([x], .init(maxIter: 3, historySize: 0))
        let f = Quadratic(a: [[2, 0], [0, 1]], b: [0, 0], params: [x])
        #expect(throws: OptimizerError(.indexError, "pop from empty list")) { try optimizer.step(closure: f.closure) }
    }

    /// `history_size = -1` is accepted by torch's constructor too; `[None] * -1` is empty, so
    /// the two-loop recursion's first `al[i] = ...` is an `IndexError` (it trapped on a
    /// negative count, found by tools/fuzz).
    @Test func aNegativeHistorySizeIsAnIndexErrorNotATrap() throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try LBFGS([x], .init(maxIter: 3, historySize: -1))
        let f = Quadratic(a: [[2, 0], [0, 1]], b: [0, 0], params: [x])
        #expect(throws: OptimizerError(.runtimeError, "IndexError: list assignment index out of range (history_size -1)")) {
            try optimizer.step(closure: f.closure)
        }
    }

    /// f = ½‖x‖² from (1, 2): g = (1, 2), d = −g, t = min(1, 1/‖g‖₁) = 1/3, x ← x + t·d.
    @Test(arguments: [false, true])
    func aHandCheckedFirstIteration(maximize: Bool) throws {
        let x = Parameter<Double>([1, 2])
        let optimizer = try LBFGS([x], .init(maxIter: 1, maximize: maximize))
        // Maximizing −f is minimizing f.
        let f = Quadratic(a: maximize ? [[-1, 0], [0, -1]] : [[1, 0], [0, 1]], b: [0, 0], params: [x])
        let loss = try optimizer.step(closure: f.closure)
        #expect(loss == (maximize ? -2.5 : 2.5))
        #expect(f.calls == 1, "max_iter 1 without line search evaluates only at the start")
        let t = 1.0 / 3.0
        #expect(x.value == [Double.fma(-1, t, 1), Double.fma(-2, t, 2)], "x + t·d with one rounding (add_ with alpha fuses)")
        let state = try #require(optimizer.state(of: x))
        #expect(state["n_iter"] == .scalar(1) && state["func_evals"] == .scalar(1))
        #expect(state["t"] == .scalar(t))
        #expect(state["d"] == .tensor(shape: [2], values: [-1, -2]))
    }

    /// Strong Wolfe accepts the first step that satisfies both conditions, so it is not an
    /// exact line search: on a 2-D quadratic (minimum A⁻¹b = (0.2, 0.4)) torch stops after six
    /// iterations (a loss change below tolerance_change), at (0.20000013828189847, 0.4000000945114288),
    /// having called the closure six times (torch 2.15, float64).
    @Test func strongWolfeOnA2DQuadraticStopsWhereTorchStops() throws {
        let x = Parameter<Double>([0, 0])
        let optimizer = try LBFGS([x], .init(lineSearchFn: .strongWolfe))
        let f = Quadratic(a: [[3, 1], [1, 2]], b: [1, 1], params: [x])
        _ = try optimizer.step(closure: f.closure)
        #expect(abs(x.value[0] - 0.20000013828189847) < 1e-15 && abs(x.value[1] - 0.4000000945114288) < 1e-15)
        let state = try #require(optimizer.state(of: x))
        #expect(state["n_iter"] == .scalar(6))
        #expect(f.calls == 6 && state["func_evals"] == .scalar(6))
        // A second step finds gᵀd above −tolerance_change at once: one call, no move.
        let before = x.value
        _ = try optimizer.step(closure: f.closure)
        #expect(f.calls == 7 && x.value == before)
    }

    @Test func theStateLivesOnTheFirstParameterUnderTorchsKeys() throws {
        let (w, b) = (try Parameter<Float>(shape: [1, 2], value: [1, 0]), Parameter<Float>([3, -1]))
        let optimizer = try LBFGS([w, b], .init(maxIter: 4, historySize: 3))
        let f = Quadratic<Float>(
            a: [[4, 1, 0, 0], [1, 3, 0, 0], [0, 0, 2, 0.5], [0, 0, 0.5, 1]], b: [1, 2, 3, 4], params: [w, b])
        _ = try optimizer.step(closure: f.closure)
        let state = try #require(optimizer.state(of: w))
        #expect(Set(state.keys) == Set(LBFGS<Float>.stateKeys(for: optimizer.defaults)))
        #expect(optimizer.state(of: b) == nil)
        #expect(state["d"]?.shape == [4], "vectors span all parameters")
        #expect(state["old_dirs"]?.shape == [3, 4], "history lists are padded to history_size rows")
        #expect(state["al"]?.shape == [3])
    }

    @Test func theStateDictRoundTripsAndSteppingContinuesTheSame() throws {
        func run(_ x: Parameter<Double>, _ optimizer: LBFGS<Double>, steps: Int) throws {
            let f = Quadratic(a: [[3, 1, 0], [1, 2, 0.5], [0, 0.5, 1]], b: [1, -1, 2], params: [x])
            for _ in 0..<steps { _ = try optimizer.step(closure: f.closure) }
        }
        let (x, y) = (Parameter<Double>([1, 1, 1]), Parameter<Double>([1, 1, 1]))
        let (a, b) = (try LBFGS([x], .init(maxIter: 1, historySize: 2)), try LBFGS([y], .init(maxIter: 1, historySize: 2)))
        try run(x, a, steps: 3)
        try run(y, b, steps: 3)
        let copy = Parameter<Double>(x.value)
        let restored = try LBFGS([copy], .init(maxIter: 1, historySize: 2))
        try restored.loadStateDict(a.stateDict())
        try run(copy, restored, steps: 2)
        try run(y, b, steps: 2)
        #expect(copy.value == y.value)
    }
}
