import Foundation

/// Adagrad: torch's `torch.optim.Adagrad`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, learning-rate decay `η`, weight
/// decay `λ`, and the running sum of squared gradients `s`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// γ̃ ← γ / (1 + (t − 1)η)
/// s ← s + g²
/// θ ← θ − γ̃ · g / (√s + ε)
/// ```
///
/// Defaults: `lr = 1e-2`, `lr_decay = 0`, `weight_decay = 0`,
/// `initial_accumulator_value = 0`, `eps = 1e-10`, `maximize = false`.
/// State: `step` (a float32 tensor in torch, so `t` is rounded to `Float`) and `sum`. As in
/// torch, the constructor gives every parameter of its groups state at once (`step = 0`,
/// `sum` filled with `initial_accumulator_value`), before any gradient; a group added later
/// gets it at a parameter's first step. Both take the value from ``defaults`` (torch's
/// `self.defaults`), whatever the group says.
///
/// Numerics: the for-loop (`_single_tensor_adagrad`), foreach (`_multi_tensor_adagrad`:
/// `−γ̃·g` first, then `addcdiv` with value 1, the same rounding) and fused
/// (`torch._fused_adagrad_`, `aten/src/ATen/native/cpu/FusedAdagradKernel.cpp`) paths
/// compute the same rounded operations: `fma(θ, λ, g)`, `fma(g, g, s)`, `√s + ε`,
/// `θ − (γ̃·g)/(√s + ε)`, with FMA except on `DEFAULT`. The fused kernel takes a correctly
/// rounded square root in every region, as Lockstep does, and computes `1 + (t − 1)η` with
/// one FMA (the others in Python, with two roundings): fused groups are bit-exact. The
/// for-loop and foreach paths take `sqrt` from MKL, which is off by one ULP for some inputs;
/// they agree within tolerance. See `docs/numerics-fused.md`.
///
/// Differs from PyTorch: CPU paths only; `differentiable` is rejected; sparse and complex
/// gradients and a tensor `lr` are not supported. Every group is validated.
///
/// References: Duchi, Hazan & Singer, *Adaptive Subgradient Methods for Online Learning
/// and Stochastic Optimization*, JMLR 12, 2011;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
public final class Adagrad<Scalar: TensorScalar>: Optimizer {
    /// Adagrad's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var lrDecay: Double
        public var weightDecay: Double
        /// The value `sum` starts from; torch takes it from the optimizer's defaults only.
        public var initialAccumulatorValue: Double
        public var eps: Double
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// The multi-tensor path: on CPU it rounds as the for-loop path.
        public var foreach: Bool?
        /// Rejected when true: the differentiable path computes in another order.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0, initialAccumulatorValue: Double = 0,
            eps: Double = 1e-10, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.lrDecay = lrDecay
            self.weightDecay = weightDecay
            self.initialAccumulatorValue = initialAccumulatorValue
            self.eps = eps
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, eps, maximize, fused, foreach, differentiable
            case lrDecay = "lr_decay"
            case weightDecay = "weight_decay"
            case initialAccumulatorValue = "initial_accumulator_value"
        }
    }

    /// A parameter's state: torch's `step` and `sum`.
    public struct State: ParameterState {
        public var step: Double
        public var sum: [Scalar]
        /// The parameter's shape, which `sum` shares.
        public let shape: [Int]

        /// The state before the first step: `step = 0`, `sum` filled with `initialValue`.
        init(shape: [Int], initialValue: Double) {
            self.shape = shape
            step = 0
            sum = [Scalar](repeating: Scalar(initialValue), count: shape.reduce(1, *))
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["step": .scalar(step), "sum": .tensor(shape: shape, values: sum)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            for key in torchState.keys where !["step", "sum"].contains(key) {
                throw OptimizerError(.keyError, "Adagrad keeps no state '\(key)'")
            }
            step = try torchState.required("step").number("step")
            sum = try torchState.required("sum").tensor("sum", shape: parameterShape)
            shape = parameterShape
        }
    }

    public static var torchName: String { "Adagrad" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: whether torch's kernels use FMA.
    public var cpuCapability: TorchCPUCapability
    /// How each tensor's element loop is split across threads; the result is the same.
    public var parallelism = Parallelism.serial

    /// Creates the optimizer over `groups`; each group's options default to `defaults`.
    /// Every parameter gets its initial state here, as torch's constructor gives it.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Options(), cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        try initializeGroups(groups)
        for parameter in parameters {
            withState(of: parameter) { $0 = State(shape: parameter.shape, initialValue: defaults.initialAccumulatorValue) }
        }
    }

    /// Creates the optimizer over one group of `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, lrDecay: Double = Options().lrDecay,
        weightDecay: Double = Options().weightDecay, initialAccumulatorValue: Double = Options().initialAccumulatorValue,
        eps: Double = Options().eps, maximize: Bool = Options().maximize, fused: Bool? = nil
    ) throws {
        let options = Options(
            lr: lr, lrDecay: lrDecay, weightDecay: weightDecay, initialAccumulatorValue: initialAccumulatorValue, eps: eps,
            maximize: maximize, fused: fused)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/adagrad.py`).
    public static func validate(_ options: Options) throws {
        guard 0.0 <= options.lr else { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
        guard 0.0 <= options.lrDecay else {
            throw OptimizerError(.valueError, "Invalid lr_decay value: \(pythonRepr(options.lrDecay))")
        }
        guard 0.0 <= options.weightDecay else {
            throw OptimizerError(.valueError, "Invalid weight_decay value: \(pythonRepr(options.weightDecay))")
        }
        guard 0.0 <= options.initialAccumulatorValue else {
            throw OptimizerError(
                .valueError, "Invalid initial_accumulator_value value: \(pythonRepr(options.initialAccumulatorValue))")
        }
        guard 0.0 <= options.eps else { throw OptimizerError(.valueError, "Invalid epsilon value: \(pythonRepr(options.eps))") }
        try validateImplementationFlags(fused: options.fused, foreach: options.foreach, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { ["step", "sum"] }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let fma = cpuCapability.hasFMA
        let fused = o.fused == true
        for parameter in group.params {
            guard let grad = parameter.grad else { continue }
            withState(of: parameter) { stored in
                var state = stored ?? State(shape: parameter.shape, initialValue: defaults.initialAccumulatorValue)
                stored = nil  // release the stored copy so `sum` is updated in place
                state.step += 1
                Self.step(&parameter.value, grad, &state, o, fma, fused: fused, parallelism)
                stored = state
            }
        }
    }

    /// One parameter's step: `_single_tensor_adagrad`'s ops, each rounded to `Scalar`, split
    /// across threads as `parallelism` says.
    ///
    /// - Parameter fused: torch's fused kernel, which decays the learning rate in C++,
    ///   where the compiler fuses `1 + (t − 1)η` into one FMA (not on `DEFAULT`).
    private static func step(
        _ param: inout [Scalar], _ grad: [Scalar], _ state: inout State, _ o: Options, _ fma: Bool, fused: Bool,
        _ parallelism: Parallelism
    ) {
        // `step` is a float32 tensor; the learning rate is decayed in Double.
        let step = Double(Float(state.step))
        let decay = fused ? TorchOps.fusedMultiplyAdd(step - 1, o.lrDecay, 1, fma) : 1 + (step - 1) * o.lrDecay
        let k = Coefficients(
            negativeLR: Scalar(-(o.lr / decay)), weightDecay: Scalar(o.weightDecay), eps: Scalar(o.eps),
            maximize: o.maximize, decays: o.weightDecay != 0, fma: fma)
        let count = param.count
        guard count > 0 else { return }  // an empty array may have no buffer address
        param.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeBufferPointer { g in
                state.sum.withUnsafeMutableBufferPointer { s in
                    let buffers = Buffers(p: p.baseAddress!, g: g.baseAddress!, s: s.baseAddress!)
                    parallelism.forEachChunk(count: count) { range in elements(buffers, range, k) }
                }
            }
        }
    }

    /// The coefficients and options of one step, fixed for a whole loop.
    struct Coefficients {
        let negativeLR, weightDecay, eps: Scalar
        let maximize, decays, fma: Bool
    }

    /// The element buffers of one parameter and its `sum`.
    struct Buffers: @unchecked Sendable {
        let p: UnsafeMutablePointer<Scalar>
        let g: UnsafePointer<Scalar>
        let s: UnsafeMutablePointer<Scalar>
    }

    /// The elements `range`, in a branch-free loop the compiler vectorises.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func elements(_ b: Buffers, _ range: Range<Int>, _ k: Coefficients) {
        let aligned = firstAlignedIndex(b.p, in: range)
        loops(b, range.lowerBound..<aligned, k)
        loops(b, aligned..<range.upperBound, k)
    }

    @inline(__always)
    private static func loops(_ b: Buffers, _ range: Range<Int>, _ k: Coefficients) {
        guard k.fma, !k.maximize else {
            for i in range { element(i, b, k) }
            return
        }
        // The usual configurations, with constant flags: the loop computes only what they
        // need instead of every alternative and a select.
        if k.decays {
            let k = Coefficients(
                negativeLR: k.negativeLR, weightDecay: k.weightDecay, eps: k.eps, maximize: false, decays: true, fma: true)
            for i in range { element(i, b, k) }
        } else {
            let k = Coefficients(
                negativeLR: k.negativeLR, weightDecay: k.weightDecay, eps: k.eps, maximize: false, decays: false, fma: true)
            for i in range { element(i, b, k) }
        }
    }

    /// Element `i`, in `_single_tensor_adagrad`'s order.
    @inline(__always)
    private static func element(_ i: Int, _ b: Buffers, _ k: Coefficients) {
        // Every operand is loaded first: the flags choose values, not memory accesses.
        let (theta, loaded, previous) = (b.p[i], b.g[i], b.s[i])
        var g = k.maximize ? -loaded : loaded
        if k.decays {
            g = TorchOps.fusedMultiplyAdd(theta, k.weightDecay, g, k.fma)          // grad.add(param, alpha=wd)
        }
        let sum = TorchOps.fusedMultiplyAdd(g, g, previous, k.fma)                // state_sum.addcmul_(grad, grad, value=1)
        let std = sum.squareRoot() + k.eps                                       // state_sum.sqrt().add_(eps)
        b.s[i] = sum
        b.p[i] = theta + k.negativeLR * g / std                                  // param.addcdiv_(grad, std, value=-clr)
    }
}

extension Adagrad: TorchConstructible, CPUCapabilityDependent, ParallelOptimizer {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
