/// The driver of closure-mode optimizers: torch's `LBFGS.step(closure)` loop
/// (`torch/optim/lbfgs.py`), which the conjugate-gradient reference
/// (`tools/lockstep_golden/conjugate_gradient.py`) follows line for line, done once here.
///
/// All parameters form one flat vector `x` (``FlatParameters``), the state lives on the
/// first parameter, and one `step(closure:)` runs
///
/// ```
/// f, g ← closure()                                  (func_evals += 1)
/// return if ‖g‖∞ ≤ tolerance_grad
/// up to max_iter times:
///     n_iter += 1
///     d, gᵀd ← the direction rule                   (the optimizer's part)
///     t ← min(1, 1/‖g‖₁)·lr        on the first iteration ever
///         the optimizer's guess    if it has one (CG with strong Wolfe)
///         lr                       otherwise
///     d_prev, g_prev, f_prev ← d, g, f
///     stop if gᵀd > −tolerance_change
///     the line search                                (the optimizer's part: which one)
///         strong Wolfe: f, g, t ← search from t;  x ← x + t·d
///         fixed step:   x ← x + t·d;  f, g ← closure() unless this is the last iteration
///     stop after max_iter iterations, max_eval evaluations, when ‖g‖∞ ≤ tolerance_grad,
///         ‖t·d‖∞ ≤ tolerance_change or |f − f_prev| < tolerance_change
/// ```
///
/// and returns the loss of the closure's first call. A conforming optimizer supplies its
/// `Options` (``ClosureOptions``), its `State` (``ClosureState``, holding the loop's
/// ``ClosureLoopState``), ``direction(at:state:options:)`` (LBFGS's two-loop recursion over
/// its history, CG's beta rules with restarts) and ``lineSearch(for:)``; the driver gives
/// ``Optimizer/step(closure:)``, `step()` failing with torch's `TypeError` (a closure is
/// required), and the one-group rule.
///
/// Numerics: the Python loop operation by operation, in torch's order: every comparison
/// rounds the Python float it meets to the dtype (`gtd > -tolerance_change` in `Float` for
/// float32), `t` keeps torch's type (`PythonNumber`), `sum` is torch's cascade sum and
/// `dot` MKL's order (`TorchReductions`).
protocol ClosureOptimizer: Optimizer where Options: ClosureOptions, State: ClosureState<Scalar> {
    /// Readies the stored (or new) state for a step with `options`, before the closure is
    /// called; by default, nothing.
    func prepare(_ state: inout State, options: Options)
    /// The search direction `d` at the iterate and `gᵀd`: the rule's part of one iteration,
    /// after `n_iter` is incremented. `iterate.d`, `iterate.t` and `iterate.prevFlatGrad` are
    /// the previous iteration's.
    func direction(at iterate: ClosureIterate<Scalar>, state: inout State, options: Options) throws -> (direction: [Scalar], gtd: Scalar)
    /// The initial step length after the first iteration, or `nil` for `lr`; by default `nil`.
    func stepLengthGuess(at iterate: ClosureIterate<Scalar>, gtd: Scalar, options: Options) throws -> PythonNumber<Scalar>?
    /// The line search of an iteration, or the optimizer's error for one it cannot run
    /// (asked where torch asks: after the directional-derivative test).
    func lineSearch(for options: Options) throws -> ClosureLineSearch
}

/// The hyperparameters every closure-mode optimizer has, under torch's LBFGS names.
public protocol ClosureOptions: OptimizerOptions {
    /// `max_iter`: iterations per step.
    var maxIter: Int { get }
    /// `max_eval`: closure evaluations per step; `nil` is `max_iter * 5 // 4`.
    var maxEval: Int? { get }
    /// `tolerance_grad`: stop when ‖g‖∞ is at most this.
    var toleranceGrad: Double { get }
    /// `tolerance_change`: stop when gᵀd, ‖t·d‖∞ or the loss change is below this.
    var toleranceChange: Double { get }
    var maximize: Bool { get }
}

extension ClosureOptions {
    /// `max_eval`, or `max_iter * 5 // 4` (Python's floor division), as torch fills it in at
    /// construction.
    public var effectiveMaxEval: Int {
        maxEval ?? Int((Double(maxIter) * 5 / 4).rounded(.down))
    }
}

/// `line_search_fn`: the name a closure-mode optimizer is given.
public enum LineSearchFunction: Codable, Sendable, Equatable {
    /// `"strong_wolfe"`: `StrongWolfe`.
    case strongWolfe
    /// Any other name (LBFGS's constructor accepts it and its `step` raises; CG's
    /// constructor rejects it).
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

/// The line search of an iteration.
enum ClosureLineSearch: Equatable {
    /// `x ← x + t·d`, then one evaluation unless this is the last iteration.
    case fixedStep
    /// torch's `_strong_wolfe` with these constants.
    case strongWolfe(c1: Double, c2: Double, toleranceChange: Double)
}

/// What the loop keeps between steps, on the first parameter: torch's `func_evals`,
/// `n_iter`, `d`, `t`, `prev_flat_grad` and `prev_loss`.
public struct ClosureLoopState<Scalar: TensorScalar>: Sendable, Equatable {
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

    public init() {}

    /// `func_evals` and `n_iter`.
    var counterEntries: [String: StateValue<Scalar>] {
        ["func_evals": .scalar(Double(funcEvals)), "n_iter": .scalar(Double(nIter))]
    }

    /// The counters and the entries present among `d`, `t`, `prev_flat_grad`, `prev_loss`.
    var torchState: [String: StateValue<Scalar>] {
        var entries = counterEntries
        if let d { entries["d"] = .tensor(shape: [d.count], values: d) }
        if let t { entries["t"] = .scalar(t) }
        if let prevFlatGrad { entries["prev_flat_grad"] = .tensor(shape: [prevFlatGrad.count], values: prevFlatGrad) }
        if let prevLoss { entries["prev_loss"] = .scalar(prevLoss) }
        return entries
    }

    /// Reads the loop's entries of a state holding only `keys` (`optimizer` names it in the
    /// error for another key). Before the loop's first iteration (`n_iter` 0) an entry that is
    /// all NaN is absent, as a fixture writes one that does not exist yet; once it has run,
    /// torch has set `d`, `t`, `prev_flat_grad` and `prev_loss` at the end of every step, so an
    /// all-NaN one is a NaN value (LBFGS maximizing a function without bound), kept.
    init(torchState entries: [String: StateValue<Scalar>], keys: [String], optimizer: String) throws {
        for key in entries.keys where !keys.contains(key) {
            throw OptimizerError(.keyError, "\(optimizer) keeps no state '\(key)'")
        }
        funcEvals = Int(try entries.required("func_evals").number("func_evals"))
        nIter = Int(try entries.required("n_iter").number("n_iter"))
        let ran = nIter > 0
        func entry(_ key: String) -> StateValue<Scalar>? { ran ? entries[key] : entries.present(key) }
        d = entry("d")?.flatValues
        t = try entry("t")?.number("t")
        prevFlatGrad = entry("prev_flat_grad")?.flatValues
        prevLoss = try entry("prev_loss")?.number("prev_loss")
    }
}

extension Dictionary {
    /// The entry `key` of a closure-mode state unless it is all NaN (how a fixture records
    /// an absent one).
    func present<Scalar>(_ key: String) -> StateValue<Scalar>? where Key == String, Value == StateValue<Scalar> {
        guard let value = self[key], value.flatValues.contains(where: { !$0.isNaN }) else { return nil }
        return value
    }
}

/// The state of a closure-mode optimizer: the loop's, and whatever its direction rule keeps.
protocol ClosureState<Scalar>: ParameterState {
    /// Every key of torch's state after an iteration, in its order.
    static var keys: [String] { get }
    var loop: ClosureLoopState<Scalar> { get set }
    /// The state before the first step.
    init()
}

/// torch's locals of one `step(closure)` that the direction rule reads.
struct ClosureIterate<Scalar: TensorScalar> {
    /// The flat gradient and the loss at the current `x` (negated when maximizing).
    var flatGrad: [Scalar]
    var loss: Double
    /// The previous iteration's direction and step length, and the gradient and loss at its
    /// start: `d`, `t`, `prev_flat_grad`, `prev_loss`.
    var d: [Scalar]?
    var t: PythonNumber<Scalar>?
    var prevFlatGrad: [Scalar]?
    var prevLoss: Double?
    /// `state["n_iter"]`: iterations over all steps, this one included.
    var nIter: Int
    /// Whether `add_(alpha:)` fuses (the CPU capability has FMA).
    let fma: Bool

    /// The iterate at the first evaluation of a step, with the previous iteration's values
    /// from the state (torch's `state.get("d")`, ...; `t` as the Python float it was stored as).
    init(flatGrad: [Scalar], loss: Double, resuming loop: ClosureLoopState<Scalar>, fma: Bool) {
        (self.flatGrad, self.loss, self.fma) = (flatGrad, loss, fma)
        (d, t, prevFlatGrad, prevLoss, nIter) = (loop.d, loop.t.map(PythonNumber.float), loop.prevFlatGrad, loop.prevLoss, loop.nIter)
    }

    /// Stores `d`, `t` (as `float(t)`), `prev_flat_grad` and `prev_loss` at the end of a step.
    func save(to loop: inout ClosureLoopState<Scalar>) {
        (loop.d, loop.t, loop.prevFlatGrad, loop.prevLoss) = (d, t?.double, prevFlatGrad, prevLoss)
    }
}

extension ClosureOptimizer {
    func prepare(_ state: inout State, options: Options) {}

    func stepLengthGuess(at iterate: ClosureIterate<Scalar>, gtd: Scalar, options: Options) throws -> PythonNumber<Scalar>? { nil }

    /// The whole state, which lives on the first parameter, whatever the options.
    public static func stateKeys(for options: Options) -> [String] { State.keys }

    /// torch's `ValueError` for more than one group, after the groups are validated.
    public func didAddInitialGroups() throws {
        guard storage.paramGroups.count == 1 else {
            throw OptimizerError(.valueError, "\(Self.torchName) doesn't support per-parameter options (parameter groups)")
        }
    }

    /// `step()` without a closure fails: the optimizer re-evaluates the objective.
    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        throw OptimizerError(.typeError, "\(Self.torchName).step() missing 1 required positional argument: 'closure'")
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
        prepare(&state, options: group.options)
        defer { storage.state[key] = state }
        return try run(&state, params: group.params, options: group.options, closure: closure)
    }

    /// torch's loop, from the first evaluation to the last stopping test.
    private func run(_ state: inout State, params: [Parameter<Scalar>], options o: Options, closure: () throws -> Double) throws -> Double {
        typealias Number = PythonNumber<Scalar>
        // `lr`: a Python float, or a 0-dim tensor of the parameters' dtype (LBFGS's `validate`
        // refuses the other tensor dtypes where they change the arithmetic).
        let lr: Number = (o as? any TensorLearningRateOptions)?.lrTensor == .of(Scalar.self) ? .tensor(Scalar(o.lr)) : .float(o.lr)
        let flat = FlatParameters(params: params, maximize: o.maximize, fma: cpuCapability.hasFMA)
        let maxEval = o.effectiveMaxEval
        // Evaluate the initial f(x) and df/dx.
        let originalLoss = try closure()
        var currentEvals = 1
        state.loop.funcEvals += 1
        var iterate = ClosureIterate(
            flatGrad: flat.gatherFlatGrad(), loss: o.maximize ? -originalLoss : originalLoss, resuming: state.loop, fma: flat.fma)
        var optimal = absMax(iterate.flatGrad) <= Scalar(o.toleranceGrad)
        if optimal { return originalLoss }
        defer { iterate.save(to: &state.loop) }

        var nIter = 0
        while nIter < o.maxIter {
            nIter += 1
            state.loop.nIter += 1
            iterate.nIter = state.loop.nIter

            // Compute the descent direction.
            let (direction, gtd) = try self.direction(at: iterate, state: &state, options: o)

            // The initial step length (the guess reads the previous d, t and prev_flat_grad).
            let step: Number
            if iterate.nIter == 1 {
                step = pythonMin(1.0, .tensor(1 / TorchReductions.sum(iterate.flatGrad.map { Swift.abs($0) }))) * lr
            } else if let guess = try stepLengthGuess(at: iterate, gtd: gtd, options: o) {
                step = guess
            } else {
                step = lr
            }
            (iterate.t, iterate.d, iterate.prevFlatGrad, iterate.prevLoss) = (step, direction, iterate.flatGrad, iterate.loss)

            // The directional derivative is below tolerance.
            if gtd > Scalar(-o.toleranceChange) { break }

            var lineSearchEvals = 0
            switch try lineSearch(for: o) {
            case .strongWolfe(let c1, let c2, let toleranceChange):
                let xInit = params.map(\.value)
                let result = try StrongWolfe.search(
                    evaluate: { try flat.directionalEvaluate(closure, x: xInit, t: $0, d: direction) },
                    t: step, d: direction, f: iterate.loss, g: iterate.flatGrad, gtd: .tensor(gtd), c1: c1, c2: c2,
                    toleranceChange: toleranceChange, maxLS: maxEval - currentEvals, sqrt: tensorSqrt)
                (iterate.loss, iterate.flatGrad, iterate.t, lineSearchEvals) = (result.loss, result.flatGrad, result.t, result.evaluations)
                flat.addGrad(result.t, direction)
                optimal = absMax(iterate.flatGrad) <= Scalar(o.toleranceGrad)
            case .fixedStep:
                // No line search: a fixed step; re-evaluate unless this is the last iteration.
                flat.addGrad(step, direction)
                if nIter != o.maxIter {
                    let value = try closure()
                    iterate.loss = o.maximize ? -value : value
                    iterate.flatGrad = flat.gatherFlatGrad()
                    optimal = absMax(iterate.flatGrad) <= Scalar(o.toleranceGrad)
                    lineSearchEvals = 1
                }
            }
            currentEvals += lineSearchEvals
            state.loop.funcEvals += lineSearchEvals

            // Check the conditions.
            if nIter == o.maxIter { break }
            if currentEvals >= maxEval { break }
            if optimal { break }
            let stepLength = (iterate.t ?? step).scalar
            if absMax(direction.map { $0 * stepLength }) <= Scalar(o.toleranceChange) { break }  // lack of progress
            if Swift.abs(iterate.loss - (iterate.prevLoss ?? iterate.loss)) < o.toleranceChange { break }
        }
        return originalLoss
    }
}
