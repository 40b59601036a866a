import Foundation

/// Nonlinear conjugate gradient: the project's reference `ConjugateGradient`
/// (`tools/lockstep_golden/conjugate_gradient.py`, a `torch.optim.Optimizer` built like
/// torch's LBFGS), which calls the closure as often as it needs within one `step(closure:)`.
///
/// All parameters form one flat vector `x` (each flattened, in order); `g = ∇f(x)` likewise.
/// One step runs up to `max_iter` iterations of
///
/// ```
/// k ← k + 1                                       (n_iter, over all steps)
/// if k = 1 or (k − 1) mod restart = 0:  d ← −g     (periodic restart)
/// else:
///     y ← g − g_prev
///     β ← FR: gᵀg / g_prevᵀg_prev     PR: gᵀy / g_prevᵀg_prev     PR+: max(PR, 0)
///         HS: gᵀy / d_prevᵀy           DY: gᵀg / d_prevᵀy
///     d ← −g + β·d_prev
///     if β is not finite or not gᵀd ≤ −tolerance_change:  d ← −g     (not a descent direction;
///                                                      a gᵀd that overflowed to NaN restarts too)
/// t ← min(1, 1/‖g‖₁)·lr             if k = 1
///     t_prev·(g_prevᵀd_prev)/(gᵀd)   with strong Wolfe and t_prev > 0 (Nocedal & Wright 3.60)
///     lr                             otherwise
/// stop if gᵀd > −tolerance_change
/// strong Wolfe line search for t from that guess (c1, c2), or a fixed step
/// x ← x + t·d, then f and g at x (not after the last iteration without line search)
/// stop after max_iter iterations, max_eval evaluations, when ‖g‖∞ ≤ tolerance_grad,
///     ‖t·d‖∞ ≤ tolerance_change or |f − f_prev| < tolerance_change
/// ```
///
/// The step returns the loss of the closure's first call, and stops before any iteration
/// when that gradient has ‖g‖∞ ≤ tolerance_grad. With the line search the closure may be
/// called `max_eval + 1` times in a step (as in LBFGS: the search always evaluates once).
///
/// Defaults: `lr = 1`, `max_iter = 20`, `max_eval = max_iter·5/4` (floored), `tolerance_grad
/// = 1e-7`, `tolerance_change = 1e-9`, `beta = polak_ribiere_plus`, `restart` = the number of
/// variables, no line search, `c1 = 1e-4`, `c2 = 0.1`, `maximize = false`. One param group.
///
/// State (on the first parameter, as LBFGS): `func_evals`, `n_iter` (over all steps), `d`
/// (the last direction), `t` (the last step length), `prev_flat_grad` and `prev_loss` (the
/// gradient and loss at the start of the last iteration).
///
/// Numerics: the reference's Python loop operation by operation, with LBFGS's building
/// blocks: `dot` in MKL's order (``TorchReductions/dot(_:_:)``), `d = g.neg().add_(d_prev,
/// alpha=β)` and `x.add_(d, alpha=t)` with FMA where the ``cpuCapability`` has it, `β` one
/// division of two 0-dim tensors in the dtype (PR+: `clamp(min=0)`), `t` a Python float or a
/// 0-dim tensor as in torch (``PythonNumber``), torch's `_strong_wolfe` (``StrongWolfe``),
/// here given the group's `tolerance_change`, `c1` and `c2`.
///
/// Differs from PyTorch: PyTorch has no conjugate gradient; this is the reference's
/// algorithm. Complex and sparse parameters do not exist here.
///
/// References: Fletcher & Reeves, *Function minimization by conjugate gradients*, Comput. J.
/// 7, 1964; Polak & Ribière, RIRO 3, 1969; Polyak, USSR Comp. Math. 9, 1969; Hestenes &
/// Stiefel, J. Res. NBS 49, 1952; Dai & Yuan, SIAM J. Optim. 10, 1999; Powell, *Restart
/// procedures for the conjugate gradient method*, Math. Prog. 12, 1977; Nocedal & Wright,
/// *Numerical Optimization*, 2nd ed., 2006, ch. 5 and §3.5.
public final class ConjugateGradient<Scalar: TensorScalar>: Optimizer {
    /// `line_search_fn`: `"strong_wolfe"` or a name the constructor rejects.
    public typealias LineSearch = LBFGS<Scalar>.LineSearch

    /// `beta`: the rule for the conjugate direction's coefficient.
    public enum BetaRule: Codable, Sendable, Equatable {
        /// `"fletcher_reeves"`: `gᵀg / g_prevᵀg_prev`.
        case fletcherReeves
        /// `"polak_ribiere"`: `gᵀy / g_prevᵀg_prev`.
        case polakRibiere
        /// `"polak_ribiere_plus"`: `max(gᵀy / g_prevᵀg_prev, 0)`.
        case polakRibierePlus
        /// `"hestenes_stiefel"`: `gᵀy / d_prevᵀy`.
        case hestenesStiefel
        /// `"dai_yuan"`: `gᵀg / d_prevᵀy`.
        case daiYuan
        /// Any other name, which the constructor rejects with the reference's message.
        case unsupported(String)

        /// The reference's names, in its order.
        public static var names: [String] { ["fletcher_reeves", "polak_ribiere", "polak_ribiere_plus", "hestenes_stiefel", "dai_yuan"] }
        static var rules: [BetaRule] { [.fletcherReeves, .polakRibiere, .polakRibierePlus, .hestenesStiefel, .daiYuan] }

        public var name: String {
            if case .unsupported(let name) = self { return name }
            return Self.names[Self.rules.firstIndex(of: self)!]
        }

        public init(name: String) {
            self = Self.names.firstIndex(of: name).map { Self.rules[$0] } ?? .unsupported(name)
        }

        public init(from decoder: Decoder) throws {
            self.init(name: try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }

        /// `β` as the reference's `_beta` computes it: one division of two dots.
        func value(_ g: [Scalar], _ gPrev: [Scalar], _ dPrev: [Scalar]) throws -> Scalar {
            let dot: ([Scalar], [Scalar]) -> Scalar = TorchReductions.dot
            func y() -> [Scalar] { zip(g, gPrev).map { $0 - $1 } }  // g.sub(g_prev)
            switch self {
            case .fletcherReeves: return dot(g, g) / dot(gPrev, gPrev)
            case .polakRibiere: return dot(g, y()) / dot(gPrev, gPrev)
            case .polakRibierePlus: return TorchOps.maximum(dot(g, y()) / dot(gPrev, gPrev), 0)  // clamp(min=0)
            case .hestenesStiefel:
                let y = y()
                return dot(g, y) / dot(dPrev, y)
            case .daiYuan: return dot(g, g) / dot(dPrev, y())
            case .unsupported(let name): throw ConjugateGradient.invalidBeta(name)
            }
        }
    }

    /// The hyperparameters under the reference's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var maxIter: Int
        /// `nil`: `max_iter * 5 // 4`, as the reference fills it in at construction.
        public var maxEval: Int?
        public var toleranceGrad: Double
        public var toleranceChange: Double
        public var beta: BetaRule
        /// Restart every this many iterations; `nil`: the number of variables.
        public var restart: Int?
        public var lineSearchFn: LineSearch?
        public var c1: Double
        public var c2: Double
        public var maximize: Bool

        public init(
            lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil, toleranceGrad: Double = 1e-7,
            toleranceChange: Double = 1e-9, beta: BetaRule = .polakRibierePlus, restart: Int? = nil,
            lineSearchFn: LineSearch? = nil, c1: Double = 1e-4, c2: Double = 0.1, maximize: Bool = false
        ) {
            self.lr = lr
            self.maxIter = maxIter
            self.maxEval = maxEval
            self.toleranceGrad = toleranceGrad
            self.toleranceChange = toleranceChange
            self.beta = beta
            self.restart = restart
            self.lineSearchFn = lineSearchFn
            self.c1 = c1
            self.c2 = c2
            self.maximize = maximize
        }

        /// `max_eval`, or `max_iter * 5 // 4` (Python's floor division).
        public var effectiveMaxEval: Int {
            maxEval ?? Int((Double(maxIter) * 5 / 4).rounded(.down))
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, beta, restart, c1, c2, maximize
            case maxIter = "max_iter"
            case maxEval = "max_eval"
            case toleranceGrad = "tolerance_grad"
            case toleranceChange = "tolerance_change"
            case lineSearchFn = "line_search_fn"
        }
    }

    /// The optimizer's state, kept on the first parameter.
    public struct State: ParameterState {
        /// Closure evaluations over all steps.
        public var funcEvals = 0
        /// Iterations over all steps.
        public var nIter = 0
        /// The last search direction.
        public var d: [Scalar]?
        /// The last step length (`float(t)`; only its value in the dtype is used again).
        public var t: Double?
        /// The gradient and loss at the start of the last iteration.
        public var prevFlatGrad: [Scalar]?
        public var prevLoss: Double?

        static var keys: [String] { ["func_evals", "n_iter", "d", "t", "prev_flat_grad", "prev_loss"] }

        init() {}

        public var torchState: [String: StateValue<Scalar>] {
            var entries: [String: StateValue<Scalar>] = ["func_evals": .scalar(Double(funcEvals)), "n_iter": .scalar(Double(nIter))]
            if let d { entries["d"] = .tensor(shape: [d.count], values: d) }
            if let t { entries["t"] = .scalar(t) }
            if let prevFlatGrad { entries["prev_flat_grad"] = .tensor(shape: [prevFlatGrad.count], values: prevFlatGrad) }
            if let prevLoss { entries["prev_loss"] = .scalar(prevLoss) }
            return entries
        }

        /// Reads the reference's entries; one that is all NaN is absent. `parameterShape` is
        /// not used: the vectors span all parameters.
        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            for key in torchState.keys where !Self.keys.contains(key) {
                throw OptimizerError(.keyError, "ConjugateGradient keeps no state '\(key)'")
            }
            func present(_ key: String) -> StateValue<Scalar>? {
                guard let value = torchState[key], value.flatValues.contains(where: { !$0.isNaN }) else { return nil }
                return value
            }
            funcEvals = Int(try torchState.required("func_evals").number("func_evals"))
            nIter = Int(try torchState.required("n_iter").number("n_iter"))
            d = present("d")?.flatValues
            t = try present("t")?.number("t")
            prevFlatGrad = present("prev_flat_grad")?.flatValues
            prevLoss = try present("prev_loss")?.number("prev_loss")
            if let d, let prevFlatGrad, d.count != prevFlatGrad.count {
                throw OptimizerError(.runtimeError, "state 'd' has \(d.count) elements, 'prev_flat_grad' \(prevFlatGrad.count)")
            }
        }
    }

    public class var torchName: String { "ConjugateGradient" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability torch's kernels ran with: whether `add_(alpha:)` fuses.
    public var cpuCapability: TorchCPUCapability

    /// Creates the optimizer over `groups`, which must be exactly one.
    ///
    /// - Throws: `ValueError("ConjugateGradient doesn't support per-parameter options
    ///   (parameter groups)")` for more than one group, and the reference's validation errors.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Options(), cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        try initializeGroups(groups)
        guard storage.paramGroups.count == 1 else {
            throw OptimizerError(.valueError, "ConjugateGradient doesn't support per-parameter options (parameter groups)")
        }
    }

    /// Creates the optimizer over `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, maxIter: Int = Options().maxIter,
        maxEval: Int? = Options().maxEval, toleranceGrad: Double = Options().toleranceGrad,
        toleranceChange: Double = Options().toleranceChange, beta: BetaRule = Options().beta,
        restart: Int? = Options().restart, lineSearchFn: LineSearch? = Options().lineSearchFn,
        c1: Double = Options().c1, c2: Double = Options().c2, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(
            lr: lr, maxIter: maxIter, maxEval: maxEval, toleranceGrad: toleranceGrad, toleranceChange: toleranceChange,
            beta: beta, restart: restart, lineSearchFn: lineSearchFn, c1: c1, c2: c2, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// The reference's checks, in its order and with its messages.
    public static func validate(_ options: Options) throws {
        guard 0.0 <= options.lr else { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
        if case .unsupported(let name) = options.beta { throw invalidBeta(name) }
        if let restart = options.restart, restart < 1 {
            throw OptimizerError(.valueError, "Invalid restart interval: \(restart) - should be >= 1")
        }
        if case .unsupported(let name)? = options.lineSearchFn {
            throw OptimizerError(.valueError, "Invalid line_search_fn: \(pythonRepr(name)) - should be None or 'strong_wolfe'")
        }
        guard 0.0 < options.c1, options.c1 < options.c2, options.c2 < 1.0 else {
            throw OptimizerError(
                .valueError,
                "Invalid Wolfe constants: c1=\(pythonRepr(options.c1)), c2=\(pythonRepr(options.c2)) - should satisfy 0 < c1 < c2 < 1")
        }
    }

    static func invalidBeta(_ name: String) -> OptimizerError {
        OptimizerError(.valueError, "Invalid beta rule: \(pythonRepr(name)) - should be one of \(BetaRule.names.joined(separator: ", "))")
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    /// `step()` without a closure fails: conjugate gradient re-evaluates the objective.
    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        throw OptimizerError(.typeError, "ConjugateGradient.step() missing 1 required positional argument: 'closure'")
    }

    /// One step: up to `max_iter` iterations, calling `closure` (which must set every
    /// parameter's gradient and return the loss) as often as they need.
    ///
    /// - Returns: the loss of the first call.
    public func step(closure: () throws -> Double) throws -> Double {
        guard storage.paramGroups.count == 1 else {
            throw OptimizerError(.runtimeError, "Expected exactly one param_group, but got \(storage.paramGroups.count)")
        }
        let group = storage.paramGroups[0]
        guard let first = group.params.first else { return try closure() }
        let key = ObjectIdentifier(first)
        var state = storage.state[key] ?? State()
        defer { storage.state[key] = state }
        return try Iteration(optimizer: self, params: group.params, options: group.options).run(&state, closure: closure)
    }
}

extension ConjugateGradient {
    /// One call of `step(closure)`: the reference's loop over the flat parameters.
    private struct Iteration {
        typealias Number = PythonNumber<Scalar>
        let optimizer: ConjugateGradient
        let params: [Parameter<Scalar>]
        let options: Options
        var fma: Bool { optimizer.cpuCapability.hasFMA }
        var flat: FlatParameters<Scalar> { FlatParameters(params: params, maximize: options.maximize, fma: fma) }

        func run(_ state: inout State, closure: () throws -> Double) throws -> Double {
            let o = options
            let maxEval = o.effectiveMaxEval
            let restart = o.restart ?? params.reduce(0) { $0 + $1.count }
            let dot: ([Scalar], [Scalar]) -> Scalar = TorchReductions.dot
            // Evaluate the initial f(x) and df/dx.
            let originalLoss = try closure()
            var loss = o.maximize ? -originalLoss : originalLoss
            var currentEvals = 1
            state.funcEvals += 1
            var flatGrad = flat.gatherFlatGrad()
            var optimal = absMax(flatGrad) <= Scalar(o.toleranceGrad)
            if optimal { return originalLoss }

            var d = state.d
            var t = state.t.map(Number.float)
            var prevFlatGrad = state.prevFlatGrad
            var prevLoss = state.prevLoss
            defer {
                state.d = d
                state.t = t?.double
                state.prevFlatGrad = prevFlatGrad
                state.prevLoss = prevLoss
            }

            var nIter = 0
            while nIter < o.maxIter {
                nIter += 1
                state.nIter += 1

                // The search direction: conjugate unless restarting.
                var conjugate: (direction: [Scalar], gtd: Scalar)?
                if restart > 0, (state.nIter - 1) % restart != 0 {
                    guard let previousDirection = d, let previousGrad = prevFlatGrad else {
                        throw OptimizerError(.keyError, "ConjugateGradient state after \(state.nIter - 1) iterations lacks d or prev_flat_grad")
                    }
                    let beta = try o.beta.value(flatGrad, previousGrad, previousDirection)
                    if beta.isFinite {
                        // flat_grad.neg().add_(d, alpha=beta)
                        let direction = zip(flatGrad, previousDirection).map { TorchOps.fusedMultiplyAdd($1, beta, -$0, fma) }
                        let gtd = dot(flatGrad, direction)
                        if gtd <= Scalar(-o.toleranceChange) { conjugate = (direction, gtd) }  // else: not a descent direction, or NaN
                    }
                }
                let direction = conjugate?.direction ?? flatGrad.map { -$0 }
                let gtd = conjugate?.gtd ?? dot(flatGrad, direction)

                // The initial step length.
                let step: Number
                if state.nIter == 1 {
                    step = pythonMin(1.0, .tensor(1 / TorchReductions.sum(flatGrad.map { Swift.abs($0) }))) * .float(o.lr)
                } else if o.lineSearchFn == .strongWolfe, let previous = t, previous > 0 {
                    guard let previousDirection = d, let previousGrad = prevFlatGrad else {
                        throw OptimizerError(.keyError, "ConjugateGradient state after \(state.nIter - 1) iterations lacks d or prev_flat_grad")
                    }
                    step = previous * .tensor(dot(previousGrad, previousDirection) / gtd)  // Nocedal & Wright (3.60)
                } else {
                    step = .float(o.lr)
                }
                t = step
                d = direction
                prevFlatGrad = flatGrad
                prevLoss = loss

                // The directional derivative is below tolerance.
                if gtd > Scalar(-o.toleranceChange) { break }

                var lineSearchEvals = 0
                switch o.lineSearchFn {
                case .unsupported(let name)?:
                    throw OptimizerError(.valueError, "Invalid line_search_fn: \(pythonRepr(name)) - should be None or 'strong_wolfe'")
                case .strongWolfe?:
                    let xInit = params.map(\.value)
                    let result = try StrongWolfe.search(
                        evaluate: { try flat.directionalEvaluate(closure, x: xInit, t: $0, d: direction) },
                        t: step, d: direction, f: loss, g: flatGrad, gtd: .tensor(gtd), c1: o.c1, c2: o.c2,
                        toleranceChange: o.toleranceChange, maxLS: maxEval - currentEvals)
                    (loss, flatGrad, t, lineSearchEvals) = (result.loss, result.flatGrad, result.t, result.evaluations)
                    flat.addGrad(result.t, direction)
                    optimal = absMax(flatGrad) <= Scalar(o.toleranceGrad)
                case nil:
                    // A fixed step; re-evaluate unless this is the last iteration.
                    flat.addGrad(step, direction)
                    if nIter != o.maxIter {
                        let value = try closure()
                        loss = o.maximize ? -value : value
                        flatGrad = flat.gatherFlatGrad()
                        optimal = absMax(flatGrad) <= Scalar(o.toleranceGrad)
                        lineSearchEvals = 1
                    }
                }
                currentEvals += lineSearchEvals
                state.funcEvals += lineSearchEvals

                // The stopping tests, LBFGS's.
                if nIter == o.maxIter { break }
                if currentEvals >= maxEval { break }
                if optimal { break }
                let stepLength = (t ?? step).scalar
                if absMax(direction.map { $0 * stepLength }) <= Scalar(o.toleranceChange) { break }  // lack of progress
                if Swift.abs(loss - (prevLoss ?? loss)) < o.toleranceChange { break }
            }
            return originalLoss
        }
    }
}

extension ConjugateGradient: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
