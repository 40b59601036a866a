import Foundation

/// L-BFGS: torch's `torch.optim.LBFGS`, a limited-memory quasi-Newton method that calls the
/// closure as often as it needs within one `step(closure:)`.
///
/// All parameters form one flat vector `x` (each flattened, in order); `g = ∇f(x)` likewise.
/// One step runs up to `max_iter` iterations of
///
/// ```
/// if first iteration ever:  d ← −g,  H ← 1
/// else:
///     y ← g − g_prev,  s ← t·d
///     if yᵀs > 1e-10:  push (y, s, ρ = 1/yᵀs) to the history (dropping the oldest
///                      beyond history_size);  H ← yᵀs / yᵀy
///     q ← −g
///     for i = k−1 … 0:  αᵢ ← ρᵢ·sᵢᵀq;  q ← q − αᵢ·yᵢ        (two-loop recursion)
///     r ← H·q
///     for i = 0 … k−1:  βᵢ ← ρᵢ·yᵢᵀr;  r ← r + (αᵢ − βᵢ)·sᵢ
///     d ← r
/// t ← min(1, 1/‖g‖₁)·lr on the first iteration ever, else lr
/// stop if gᵀd > −tolerance_change
/// strong Wolfe line search for t (line_search_fn = "strong_wolfe"), or a fixed step
/// x ← x + t·d, then f and g at x (not after the last iteration without line search)
/// stop after max_iter iterations, max_eval evaluations, when ‖g‖∞ ≤ tolerance_grad,
///     ‖t·d‖∞ ≤ tolerance_change or |f − f_prev| < tolerance_change
/// ```
///
/// The step returns the loss of the closure's first call. It also stops at once, before any
/// iteration, when the first gradient has ‖g‖∞ ≤ tolerance_grad.
///
/// Defaults: `lr = 1`, `max_iter = 20`, `max_eval = max_iter·5/4` (floored), `tolerance_grad
/// = 1e-7`, `tolerance_change = 1e-9`, `history_size = 100`, no line search, `maximize =
/// false`. Only one param group is allowed.
///
/// State (torch keeps it all on the first parameter): `func_evals`, `n_iter`, `d`, `t`,
/// `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`. torch's
/// lists (`old_dirs`, `old_stps`, `ro`, `al`) appear here as tensors of `history_size` rows,
/// the list's entries first and NaN rows after (`al`'s `None` entries are NaN too); see
/// `docs/fixture-format.md`.
///
/// The loop (evaluations, step length, line search, stopping tests) is the closure-mode
/// driver's (`ClosureOptimizer`); this type supplies the direction rule, the two-loop
/// recursion over its history, and keeps that history.
///
/// Numerics: the Python loop operation by operation. Vector operations (`neg`, `sub`, `mul`,
/// `add_(alpha:)` with FMA where the ``cpuCapability`` has it) round as torch's kernels;
/// `dot` sums in the order MKL's `sdot`/`ddot` does on the recording machine, and `sum` as
/// torch's cascade sum (`TorchReductions`). Scalars are Python floats or 0-dim tensors as
/// in torch (`PythonNumber`): `ys`, `H_diag`, `ρ`, `α`, `gtd` are tensors of the dtype;
/// losses, `lr` and the tolerances are Python floats, rounded to the dtype where they meet a
/// tensor (`gtd > -tolerance_change` compares in `Float` for float32).
///
/// Differs from PyTorch: `line_search_fn` is ``LineSearch``; like torch, a name other than
/// `strong_wolfe` is accepted by the constructor and rejected by `step`. torch passes its
/// line search the default `tolerance_change = 1e-9`, not the group's; so does this port.
/// Complex and sparse parameters do not exist here.
///
/// References: Nocedal, *Updating Quasi-Newton Matrices with Limited Storage*, Math. Comp.
/// 35, 1980; Liu & Nocedal, *On the limited memory BFGS method for large scale
/// optimization*, Math. Programming 45, 1989; M. Schmidt, minFunc, 2005;
/// https://pytorch.org/docs/stable/generated/torch.optim.LBFGS.html
public final class LBFGS<Scalar: TensorScalar>: ClosureOptimizer {
    /// The line search: `line_search_fn`.
    public typealias LineSearch = LineSearchFunction

    /// LBFGS's hyperparameters under torch's names.
    public struct Options: ClosureOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); the step length `t` is then a tensor.
        public var lrTensor: TensorDType? = nil
        public var maxIter: Int
        /// `nil`: `max_iter * 5 // 4`, as torch fills it in at construction.
        public var maxEval: Int?
        public var toleranceGrad: Double
        public var toleranceChange: Double
        public var historySize: Int
        public var lineSearchFn: LineSearch?
        public var maximize: Bool

        public init(
            lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil, toleranceGrad: Double = 1e-7,
            toleranceChange: Double = 1e-9, historySize: Int = 100, lineSearchFn: LineSearch? = nil,
            maximize: Bool = false
        ) {
            (self.lr, self.maxIter, self.maxEval, self.toleranceGrad, self.toleranceChange) =
                (lr, maxIter, maxEval, toleranceGrad, toleranceChange)
            (self.historySize, self.lineSearchFn, self.maximize) = (historySize, lineSearchFn, maximize)
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, maximize
            case maxIter = "max_iter"
            case maxEval = "max_eval"
            case toleranceGrad = "tolerance_grad"
            case toleranceChange = "tolerance_change"
            case historySize = "history_size"
            case lineSearchFn = "line_search_fn"
        }
    }

    /// The optimizer's state, which torch keeps on the first parameter.
    public struct State: ClosureState {
        /// `func_evals`, `n_iter`, `d`, `t`, `prev_flat_grad`, `prev_loss`.
        public var loop = ClosureLoopState<Scalar>()
        /// The history `y` (gradient differences) and `s` (steps), oldest first, and `ρ = 1/yᵀs`.
        public var oldDirs: [[Scalar]] = []
        public var oldStps: [[Scalar]] = []
        public var ro: [Scalar] = []
        /// The scale of the initial inverse Hessian.
        public var hDiag: Scalar?
        /// The two-loop recursion's `α`, `history_size` entries kept between steps (`nil`: None).
        public var al: [Scalar?]?
        /// The length of the history lists as recorded (torch's `history_size`).
        public var historySize = 0

        static var keys: [String] {
            ["func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al"]
        }

        public init() {}

        public func torchState(parameterShape: [Int]) -> [String: StateValue<Scalar>] {
            guard let d = loop.d else { return loop.counterEntries }
            var entries = loop.torchState
            let length = max(historySize, oldDirs.count)
            func padded(_ rows: [[Scalar]], width: Int) -> StateValue<Scalar> {
                var values = rows.flatMap { $0 }
                values += [Scalar](repeating: .nan, count: (length - rows.count) * width)
                return .tensor(shape: width == 1 ? [length] : [length, width], values: values)
            }
            entries["old_dirs"] = padded(oldDirs, width: d.count)
            entries["old_stps"] = padded(oldStps, width: d.count)
            entries["ro"] = padded(ro.map { [$0] }, width: 1)
            if let hDiag { entries["H_diag"] = .scalar(Double(hDiag)) }
            if let al { entries["al"] = padded(al.map { [$0 ?? .nan] }, width: 1) }
            return entries
        }

        /// Reads torch's entries; a tensor or number that is all NaN is an absent entry.
        /// `parameterShape` is not used: the state's vectors span all parameters.
        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            loop = try ClosureLoopState(torchState: torchState, keys: Self.keys, optimizer: "LBFGS")
            hDiag = try torchState.present("H_diag").map { Scalar(try $0.number("H_diag")) }
            let numel = loop.d?.count ?? loop.prevFlatGrad?.count ?? 0
            let ro = torchState.present("ro")?.flatValues ?? []
            let count = ro.firstIndex { $0.isNaN } ?? ro.count
            self.ro = Array(ro.prefix(count))
            historySize = torchState["ro"]?.flatValues.count ?? torchState["al"]?.flatValues.count ?? 0
            func rows(_ key: String) throws -> [[Scalar]] {
                guard count > 0 else { return [] }
                guard let value = torchState[key], value.shape.count == 2, value.shape[0] >= count, value.shape[1] == numel else {
                    throw OptimizerError(
                        .runtimeError, "state '\(key)' must be a tensor of shape [history_size, \(numel)] with \(count) entries")
                }
                return (0..<count).map { Array(value.flatValues[($0 * numel)..<(($0 + 1) * numel)]) }
            }
            oldDirs = try rows("old_dirs")
            oldStps = try rows("old_stps")
            al = torchState.present("al").map { $0.flatValues.map { $0.isNaN ? nil : $0 } }
            for (key, vector) in [("d", loop.d), ("prev_flat_grad", loop.prevFlatGrad)] where vector != nil && vector?.count != numel {
                throw OptimizerError(.runtimeError, "state '\(key)' must have \(numel) elements, like the other vectors")
            }
        }
    }

    public static var torchName: String { "LBFGS" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    /// torch's check (`torch/optim/lbfgs.py`): only the learning rate is checked.
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        // A tensor lr of the parameters' dtype is the step length `t` as a tensor (replayed);
        // a float32 one with float64 parameters and no line search only reaches the update
        // through `alpha=t` and float64 promotion (replayed as a float). Otherwise torch mixes
        // dtypes in the step length, which is not reproduced.
        if let dtype = options.lrTensor, dtype != .of(Scalar.self), Scalar.self == Float.self || options.lineSearchFn != nil {
            throw OptimizerError(
                .runtimeError,
                "LBFGS: lr as a 0-dim \(dtype.rawValue) tensor with \(TensorDType.of(Scalar.self).rawValue) parameters\(options.lineSearchFn != nil ? " and a line search" : "") is not reproduced by Lockstep")
        }
    }

    func prepare(_ state: inout State, options: Options) { state.historySize = options.historySize }

    /// torch's `_strong_wolfe` with its default constants: torch passes neither `c1`, `c2`
    /// nor the group's `tolerance_change`.
    func lineSearch(for options: Options) throws -> ClosureLineSearch {
        switch options.lineSearchFn {
        case nil: return .fixedStep
        case .strongWolfe?: return .strongWolfe(c1: 1e-4, c2: 0.9, toleranceChange: 1e-9)
        case .unsupported?: throw OptimizerError(.runtimeError, "only 'strong_wolfe' is supported")
        }
    }

    /// `−g` on the first iteration ever (the history cleared); after it, the history updated
    /// with the last step and the two-loop recursion.
    func direction(at iterate: ClosureIterate<Scalar>, state: inout State, options o: Options) throws -> (direction: [Scalar], gtd: Scalar) {
        let flatGrad = iterate.flatGrad
        let direction: [Scalar]
        if iterate.nIter == 1 {
            direction = flatGrad.map { -$0 }
            (state.oldDirs, state.oldStps, state.ro) = ([], [], [])
            state.hDiag = 1
        } else {
            guard let previousDirection = iterate.d, let previousGrad = iterate.prevFlatGrad, let previousStep = iterate.t else {
                throw OptimizerError(.keyError, "LBFGS state after \(iterate.nIter - 1) iterations lacks d, t or prev_flat_grad")
            }
            let y = zip(flatGrad, previousGrad).map { $0 - $1 }         // flat_grad.sub(prev_flat_grad)
            let stepLength = previousStep.scalar
            let s = previousDirection.map { $0 * stepLength }            // d.mul(t)
            let ys = TorchReductions.dot(y, s)
            var hDiag = state.hDiag ?? 1
            if ys > Scalar(1e-10) {
                if state.oldDirs.count == o.historySize {
                    // history_size = 0: torch's `old_dirs.pop(0)` on an empty list.
                    guard !state.oldDirs.isEmpty else { throw OptimizerError(.indexError, "pop from empty list") }
                    state.oldDirs.removeFirst()
                    state.oldStps.removeFirst()
                    state.ro.removeFirst()
                }
                state.oldDirs.append(y)
                state.oldStps.append(s)
                state.ro.append(1 / ys)                                  // 1.0 / ys: reciprocal, then * 1.0
                hDiag = ys / TorchReductions.dot(y, y)
            }
            state.hDiag = hDiag
            direction = try twoLoop(flatGrad, hDiag, &state, options: o, fma: iterate.fma)
        }
        return (direction, TorchReductions.dot(flatGrad, direction))  // gtd = flat_grad.dot(d)
    }

    /// The two-loop recursion: `d = H·(−g)` with the history, `al` kept in the state.
    private func twoLoop(_ flatGrad: [Scalar], _ hDiag: Scalar, _ state: inout State, options: Options, fma: Bool) throws -> [Scalar] {
        let (oldDirs, oldStps, ro) = (state.oldDirs, state.oldStps, state.ro)
        let count = oldDirs.count
        // `[None] * history_size`: empty for a negative size, as in Python.
        var al = state.al ?? [Scalar?](repeating: nil, count: max(0, options.historySize))
        defer { state.al = al }
        guard count <= al.count else {
            throw OptimizerError(.runtimeError, "IndexError: list assignment index out of range (history_size \(options.historySize))")
        }
        var q = flatGrad.map { -$0 }
        var alphas = [Scalar](repeating: 0, count: count)
        for i in stride(from: count - 1, through: 0, by: -1) {
            let alpha = TorchReductions.dot(oldStps[i], q) * ro[i]     // al[i] = old_stps[i].dot(q) * ro[i]
            al[i] = alpha
            alphas[i] = alpha
            for k in q.indices { q[k] = TorchOps.fusedMultiplyAdd(oldDirs[i][k], -alpha, q[k], fma) }  // q.add_(y, alpha=-al[i])
        }
        var r = q.map { $0 * hDiag }                                     // torch.mul(q, H_diag)
        for i in 0..<count {
            let beta = TorchReductions.dot(oldDirs[i], r) * ro[i]
            let alpha = alphas[i] - beta
            for k in r.indices { r[k] = TorchOps.fusedMultiplyAdd(oldStps[i][k], alpha, r[k], fma) }  // r.add_(s, alpha=al[i] - be_i)
        }
        return r
    }
}
