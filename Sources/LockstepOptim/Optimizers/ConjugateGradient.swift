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
/// The loop (evaluations, step length, line search, stopping tests) is LBFGS's, the
/// closure-mode driver's (`ClosureOptimizer`); this type supplies the beta rules with
/// their restarts and the step-length guess.
///
/// Numerics: the reference's Python loop operation by operation, with LBFGS's building
/// blocks: `dot` in MKL's order (`TorchReductions/dot(_:_:)`), `d = g.neg().add_(d_prev,
/// alpha=β)` and `x.add_(d, alpha=t)` with FMA where the ``cpuCapability`` has it, `β` one
/// division of two 0-dim tensors in the dtype (PR+: `clamp(min=0)`), `t` a Python float or a
/// 0-dim tensor as in torch (`PythonNumber`), torch's `_strong_wolfe` (`StrongWolfe`),
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
public final class ConjugateGradient<Scalar: TensorScalar>: ClosureOptimizer {
    /// `line_search_fn`: `"strong_wolfe"` or a name the constructor rejects.
    public typealias LineSearch = LineSearchFunction

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
    public struct Options: ClosureOptions {
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
            (self.lr, self.maxIter, self.maxEval, self.toleranceGrad, self.toleranceChange) =
                (lr, maxIter, maxEval, toleranceGrad, toleranceChange)
            (self.beta, self.restart, self.lineSearchFn, self.c1, self.c2, self.maximize) =
                (beta, restart, lineSearchFn, c1, c2, maximize)
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

    /// The optimizer's state, kept on the first parameter: the loop's alone (`func_evals`,
    /// `n_iter`, `d`, `t`, `prev_flat_grad`, `prev_loss`).
    public struct State: ClosureState {
        public var loop = ClosureLoopState<Scalar>()

        static var keys: [String] { ["func_evals", "n_iter", "d", "t", "prev_flat_grad", "prev_loss"] }

        public init() {}

        public func torchState(parameterShape: [Int]) -> [String: StateValue<Scalar>] { loop.torchState }

        /// Reads the reference's entries; one that is all NaN is absent. `parameterShape` is
        /// not used: the vectors span all parameters.
        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            loop = try ClosureLoopState(torchState: torchState, keys: Self.keys, optimizer: "ConjugateGradient")
            if let d = loop.d, let prevFlatGrad = loop.prevFlatGrad, d.count != prevFlatGrad.count {
                throw OptimizerError(.runtimeError, "state 'd' has \(d.count) elements, 'prev_flat_grad' \(prevFlatGrad.count)")
            }
        }
    }

    public static var torchName: String { "ConjugateGradient" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    /// The reference's checks, in its order and with its messages.
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        if case .unsupported(let name) = options.beta { throw invalidBeta(name) }
        if let restart = options.restart, restart < 1 {
            throw OptimizerError(.valueError, "Invalid restart interval: \(restart) - should be >= 1")
        }
        if case .unsupported(let name)? = options.lineSearchFn { throw invalidLineSearch(name) }
        guard 0.0 < options.c1, options.c1 < options.c2, options.c2 < 1.0 else {
            throw OptimizerError(
                .valueError,
                "Invalid Wolfe constants: c1=\(pythonRepr(options.c1)), c2=\(pythonRepr(options.c2)) - should satisfy 0 < c1 < c2 < 1")
        }
    }

    static func invalidBeta(_ name: String) -> OptimizerError {
        OptimizerError(.valueError, "Invalid beta rule: \(pythonRepr(name)) - should be one of \(BetaRule.names.joined(separator: ", "))")
    }

    static func invalidLineSearch(_ name: String) -> OptimizerError {
        OptimizerError(.valueError, "Invalid line_search_fn: \(pythonRepr(name)) - should be None or 'strong_wolfe'")
    }

    /// torch's `_strong_wolfe` with the group's `c1`, `c2` and `tolerance_change`.
    func lineSearch(for options: Options) throws -> ClosureLineSearch {
        switch options.lineSearchFn {
        case nil: return .fixedStep
        case .strongWolfe?: return .strongWolfe(c1: options.c1, c2: options.c2, toleranceChange: options.toleranceChange)
        case .unsupported(let name)?: throw Self.invalidLineSearch(name)
        }
    }

    /// Conjugate unless restarting: every `restart` iterations (the first ever included), or
    /// when `β` is not finite or `d` is not a descent direction by `tolerance_change`.
    func direction(at iterate: ClosureIterate<Scalar>, state: inout State, options o: Options) throws -> (direction: [Scalar], gtd: Scalar) {
        let flatGrad = iterate.flatGrad
        let restart = o.restart ?? flatGrad.count
        var conjugate: (direction: [Scalar], gtd: Scalar)?
        if restart > 0, (iterate.nIter - 1) % restart != 0 {
            let (previousDirection, previousGrad) = try lastIteration(iterate)
            let beta = try o.beta.value(flatGrad, previousGrad, previousDirection)
            if beta.isFinite {
                // flat_grad.neg().add_(d, alpha=beta)
                let direction = zip(flatGrad, previousDirection).map { TorchOps.fusedMultiplyAdd($1, beta, -$0, iterate.fma) }
                let gtd = TorchReductions.dot(flatGrad, direction)
                if gtd <= Scalar(-o.toleranceChange) { conjugate = (direction, gtd) }  // else: not a descent direction, or NaN
            }
        }
        let direction = conjugate?.direction ?? flatGrad.map { -$0 }
        return (direction, conjugate?.gtd ?? TorchReductions.dot(flatGrad, direction))
    }

    /// With strong Wolfe after a positive step: `t_prev·(g_prevᵀd_prev)/(gᵀd)`, the first-order
    /// change of the last step again (Nocedal & Wright, eq. 3.60).
    func stepLengthGuess(at iterate: ClosureIterate<Scalar>, gtd: Scalar, options o: Options) throws -> PythonNumber<Scalar>? {
        guard o.lineSearchFn == .strongWolfe, let previous = iterate.t, previous > 0 else { return nil }
        let (previousDirection, previousGrad) = try lastIteration(iterate)
        return previous * .tensor(TorchReductions.dot(previousGrad, previousDirection) / gtd)
    }

    /// The previous iteration's `d` and `prev_flat_grad`, which a state after an iteration has.
    private func lastIteration(_ iterate: ClosureIterate<Scalar>) throws -> (d: [Scalar], prevFlatGrad: [Scalar]) {
        guard let d = iterate.d, let prevFlatGrad = iterate.prevFlatGrad else {
            throw OptimizerError(.keyError, "ConjugateGradient state after \(iterate.nIter - 1) iterations lacks d or prev_flat_grad")
        }
        return (d, prevFlatGrad)
    }
}
