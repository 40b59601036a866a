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
/// Numerics: the Python loop operation by operation. Vector operations (`neg`, `sub`, `mul`,
/// `add_(alpha:)` with FMA where the ``cpuCapability`` has it) round as torch's kernels;
/// `dot` sums in the order MKL's `sdot`/`ddot` does on the recording machine, and `sum` as
/// torch's cascade sum (``TorchReductions``). Scalars are Python floats or 0-dim tensors as
/// in torch (``PythonNumber``): `ys`, `H_diag`, `ρ`, `α`, `gtd` are tensors of the dtype;
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
public final class LBFGS<Scalar: TensorScalar>: Optimizer {
    /// The line search: `line_search_fn`.
    public enum LineSearch: Codable, Sendable, Equatable {
        /// `"strong_wolfe"`: ``StrongWolfe``.
        case strongWolfe
        /// Any other name: torch's constructor accepts it and `step` raises
        /// `RuntimeError: only 'strong_wolfe' is supported`.
        case unsupported(String)

        public init(from decoder: Decoder) throws {
            let name = try decoder.singleValueContainer().decode(String.self)
            self = name == "strong_wolfe" ? .strongWolfe : .unsupported(name)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .strongWolfe: try container.encode("strong_wolfe")
            case .unsupported(let name): try container.encode(name)
            }
        }
    }

    /// LBFGS's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
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
            self.lr = lr
            self.maxIter = maxIter
            self.maxEval = maxEval
            self.toleranceGrad = toleranceGrad
            self.toleranceChange = toleranceChange
            self.historySize = historySize
            self.lineSearchFn = lineSearchFn
            self.maximize = maximize
        }

        /// `max_eval`, or torch's `max_iter * 5 // 4` (Python's floor division).
        public var effectiveMaxEval: Int {
            maxEval ?? Int((Double(maxIter) * 5 / 4).rounded(.down))
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
    public struct State: ParameterState {
        /// Closure evaluations over all steps.
        public var funcEvals: Int
        /// Iterations over all steps.
        public var nIter: Int
        /// The last search direction.
        public var d: [Scalar]?
        /// The last step length (`float(t)`; only its value in the dtype is used again).
        public var t: Double?
        /// The history `y` (gradient differences) and `s` (steps), oldest first, and `ρ = 1/yᵀs`.
        public var oldDirs: [[Scalar]] = []
        public var oldStps: [[Scalar]] = []
        public var ro: [Scalar] = []
        /// The scale of the initial inverse Hessian.
        public var hDiag: Scalar?
        public var prevFlatGrad: [Scalar]?
        public var prevLoss: Double?
        /// The two-loop recursion's `α`, `history_size` entries kept between steps (`nil`: None).
        public var al: [Scalar?]?
        /// The length of the history lists as recorded (torch's `history_size`).
        public var historySize: Int

        static var keys: [String] {
            ["func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al"]
        }

        init(historySize: Int) {
            funcEvals = 0
            nIter = 0
            self.historySize = historySize
        }

        public var torchState: [String: StateValue<Scalar>] {
            var entries: [String: StateValue<Scalar>] = ["func_evals": .scalar(Double(funcEvals)), "n_iter": .scalar(Double(nIter))]
            guard let d else { return entries }
            let length = max(historySize, oldDirs.count)
            func padded(_ rows: [[Scalar]], width: Int) -> StateValue<Scalar> {
                var values = rows.flatMap { $0 }
                values += [Scalar](repeating: .nan, count: (length - rows.count) * width)
                return .tensor(shape: width == 1 ? [length] : [length, width], values: values)
            }
            entries["d"] = .tensor(shape: [d.count], values: d)
            if let t { entries["t"] = .scalar(t) }
            entries["old_dirs"] = padded(oldDirs, width: d.count)
            entries["old_stps"] = padded(oldStps, width: d.count)
            entries["ro"] = padded(ro.map { [$0] }, width: 1)
            if let hDiag { entries["H_diag"] = .scalar(Double(hDiag)) }
            if let prevFlatGrad { entries["prev_flat_grad"] = .tensor(shape: [prevFlatGrad.count], values: prevFlatGrad) }
            if let prevLoss { entries["prev_loss"] = .scalar(prevLoss) }
            if let al { entries["al"] = padded(al.map { [$0 ?? .nan] }, width: 1) }
            return entries
        }

        /// Reads torch's entries; a tensor or number that is all NaN is an absent entry.
        /// `parameterShape` is not used: the state's vectors span all parameters.
        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            for key in torchState.keys where !Self.keys.contains(key) {
                throw OptimizerError(.keyError, "LBFGS keeps no state '\(key)'")
            }
            func present(_ key: String) -> StateValue<Scalar>? {
                guard let value = torchState[key], value.flatValues.contains(where: { !$0.isNaN }) else { return nil }
                return value
            }
            funcEvals = Int(try torchState.required("func_evals").number("func_evals"))
            nIter = Int(try torchState.required("n_iter").number("n_iter"))
            d = present("d")?.flatValues
            t = try present("t")?.number("t")
            hDiag = try present("H_diag").map { Scalar(try $0.number("H_diag")) }
            prevFlatGrad = present("prev_flat_grad")?.flatValues
            prevLoss = try present("prev_loss")?.number("prev_loss")
            let numel = d?.count ?? prevFlatGrad?.count ?? 0
            let ro = present("ro")?.flatValues ?? []
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
            al = present("al").map { $0.flatValues.map { $0.isNaN ? nil : $0 } }
            for (key, vector) in [("d", d), ("prev_flat_grad", prevFlatGrad)] where vector != nil && vector?.count != numel {
                throw OptimizerError(.runtimeError, "state '\(key)' must have \(numel) elements, like the other vectors")
            }
        }
    }

    public class var torchName: String { "LBFGS" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability torch's kernels ran with: whether `add_(alpha:)` fuses.
    public var cpuCapability: TorchCPUCapability

    /// Creates the optimizer over `groups`, which must be exactly one.
    ///
    /// - Throws: `ValueError("LBFGS doesn't support per-parameter options (parameter groups)")`
    ///   for more than one group, and torch's validation errors.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Options(), cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        try initializeGroups(groups)
        guard storage.paramGroups.count == 1 else {
            throw OptimizerError(.valueError, "LBFGS doesn't support per-parameter options (parameter groups)")
        }
    }

    /// Creates the optimizer over `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, maxIter: Int = Options().maxIter,
        maxEval: Int? = Options().maxEval, toleranceGrad: Double = Options().toleranceGrad,
        toleranceChange: Double = Options().toleranceChange, historySize: Int = Options().historySize,
        lineSearchFn: LineSearch? = Options().lineSearchFn, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(
            lr: lr, maxIter: maxIter, maxEval: maxEval, toleranceGrad: toleranceGrad, toleranceChange: toleranceChange,
            historySize: historySize, lineSearchFn: lineSearchFn, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's check (`torch/optim/lbfgs.py`): only the learning rate is checked.
    public static func validate(_ options: Options) throws {
        guard 0.0 <= options.lr else { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    /// torch's `step()` without a closure fails: LBFGS needs to re-evaluate the objective.
    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        throw OptimizerError(.typeError, "LBFGS.step() missing 1 required positional argument: 'closure'")
    }

    /// One LBFGS step: up to `max_iter` iterations, calling `closure` (which must set every
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
        var state = storage.state[key] ?? State(historySize: group.options.historySize)
        state.historySize = group.options.historySize
        defer { storage.state[key] = state }
        return try Iteration(optimizer: self, params: group.params, options: group.options).run(&state, closure: closure)
    }
}

extension LBFGS {
    /// One call of `step(closure)`: torch's loop, with the flat views of the parameters.
    private struct Iteration {
        typealias Number = PythonNumber<Scalar>
        let optimizer: LBFGS
        let params: [Parameter<Scalar>]
        let options: Options
        var fma: Bool { optimizer.cpuCapability.hasFMA }

        var flat: FlatParameters<Scalar> { FlatParameters(params: params, maximize: options.maximize, fma: fma) }

        func run(_ state: inout State, closure: () throws -> Double) throws -> Double {
            let o = options
            let maxEval = o.effectiveMaxEval
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
            var (oldDirs, oldStps, ro) = (state.oldDirs, state.oldStps, state.ro)
            var hDiag = state.hDiag ?? 1
            var prevFlatGrad = state.prevFlatGrad
            var prevLoss = state.prevLoss
            defer {
                state.d = d
                state.t = t?.double
                (state.oldDirs, state.oldStps, state.ro) = (oldDirs, oldStps, ro)
                state.hDiag = hDiag
                state.prevFlatGrad = prevFlatGrad
                state.prevLoss = prevLoss
            }

            var nIter = 0
            while nIter < o.maxIter {
                nIter += 1
                state.nIter += 1

                // Compute the descent direction.
                let direction: [Scalar]
                if state.nIter == 1 {
                    direction = flatGrad.map { -$0 }
                    (oldDirs, oldStps, ro) = ([], [], [])
                    hDiag = 1
                } else {
                    guard let previousDirection = d, let previousGrad = prevFlatGrad, let previousStep = t else {
                        throw OptimizerError(.keyError, "LBFGS state after \(state.nIter - 1) iterations lacks d, t or prev_flat_grad")
                    }
                    let y = zip(flatGrad, previousGrad).map { $0 - $1 }         // flat_grad.sub(prev_flat_grad)
                    let stepLength = previousStep.scalar
                    let s = previousDirection.map { $0 * stepLength }            // d.mul(t)
                    let ys = TorchReductions.dot(y, s)
                    if ys > Scalar(1e-10) {
                        if oldDirs.count == o.historySize {
                            oldDirs.removeFirst()
                            oldStps.removeFirst()
                            ro.removeFirst()
                        }
                        oldDirs.append(y)
                        oldStps.append(s)
                        ro.append(1 / ys)                                        // 1.0 / ys: reciprocal, then * 1.0
                        hDiag = ys / TorchReductions.dot(y, y)
                    }
                    direction = try twoLoop(flatGrad, oldDirs, oldStps, ro, hDiag, &state)
                }
                d = direction
                prevFlatGrad = flatGrad
                prevLoss = loss

                // The step length: reset the initial guess.
                let step: Number
                if state.nIter == 1 {
                    let inverseNorm = Number.tensor(1 / TorchReductions.sum(flatGrad.map { Swift.abs($0) }))
                    step = pythonMin(1.0, inverseNorm) * .float(o.lr)
                } else {
                    step = .float(o.lr)
                }
                t = step

                // The directional derivative is below tolerance.
                let gtd = TorchReductions.dot(flatGrad, direction)
                if gtd > Scalar(-o.toleranceChange) { break }

                var lineSearchEvals = 0
                switch o.lineSearchFn {
                case .unsupported?:
                    throw OptimizerError(.runtimeError, "only 'strong_wolfe' is supported")
                case .strongWolfe?:
                    let xInit = params.map(\.value)
                    let result = try StrongWolfe.search(
                        evaluate: { try flat.directionalEvaluate(closure, x: xInit, t: $0, d: direction) },
                        t: step, d: direction, f: loss, g: flatGrad, gtd: .tensor(gtd), maxLS: maxEval - currentEvals)
                    (loss, flatGrad, t, lineSearchEvals) = (result.loss, result.flatGrad, result.t, result.evaluations)
                    flat.addGrad(result.t, direction)
                    optimal = absMax(flatGrad) <= Scalar(o.toleranceGrad)
                case nil:
                    // No line search: a fixed step; re-evaluate unless this is the last iteration.
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

                // Check the conditions.
                if nIter == o.maxIter { break }
                if currentEvals >= maxEval { break }
                if optimal { break }
                let stepLength = (t ?? step).scalar
                if absMax(direction.map { $0 * stepLength }) <= Scalar(o.toleranceChange) { break }  // lack of progress
                if Swift.abs(loss - (prevLoss ?? loss)) < o.toleranceChange { break }
            }
            return originalLoss
        }

        /// The two-loop recursion: `d = H·(−g)` with the history, `al` kept in the state.
        private func twoLoop(
            _ flatGrad: [Scalar], _ oldDirs: [[Scalar]], _ oldStps: [[Scalar]], _ ro: [Scalar], _ hDiag: Scalar,
            _ state: inout State
        ) throws -> [Scalar] {
            let count = oldDirs.count
            var al = state.al ?? [Scalar?](repeating: nil, count: options.historySize)
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
}

extension LBFGS: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
