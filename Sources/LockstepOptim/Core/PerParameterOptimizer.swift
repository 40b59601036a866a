/// The driver of torch's per-parameter loop: what every `torch.optim` optimizer's `step()`
/// does around its math, done once here.
///
/// For each group, torch's `_init_group` gathers the parameters that have a gradient,
/// rejects sparse gradients the optimizer cannot take (before anything changes), creates
/// a parameter's state at its first step, and the loop increments `step` before the math.
/// A conforming optimizer supplies only what is its own:
///
/// - its `Options` (with torch's validation messages in ``Optimizer/validate(_:)``),
/// - its `State`, a ``TorchState`` whose ``TorchState/layout`` lists torch's keys once,
/// - ``apply(_:options:)``, the element math of one parameter's step,
/// - where the defaults do not fit: ``initialState(for:options:)`` (zeros by default),
///   ``Optimizer/stateKeys(for:)`` (optional entries), ``sparseGradients(_:)`` and
///   ``prepare(_:updating:)``.
///
/// The driver gives ``apply(_:options:)`` the parameter's values and gradient as buffers
/// updated in place, the state (uniquely referenced, so its arrays are updated in place
/// too), the incremented step counter, and the CPU capability and parallelism to compute
/// with. <doc:WritingAnOptimizer> walks through a complete optimizer, Lion, in 40 lines.
public protocol PerParameterOptimizer: Optimizer where State: TorchState<Scalar> {
    /// Whether a group with `options` takes sparse gradients; by default it refuses them
    /// with torch's message, `"<name> does not support sparse gradients"`.
    static func sparseGradients(_ options: Options) -> SparseGradients
    /// The state of `parameter` before its first step, in a group with `options`; by
    /// default ``TorchState/zeros(parameterShape:)`` (`torch.zeros_like` for every tensor).
    func initialState(for parameter: Parameter<Scalar>, options: Options) -> State
    /// Checks a group before any of its parameters changes (torch's `_init_group`); the
    /// parameters given are those with a gradient. By default, nothing.
    func prepare(_ group: ParamGroup<Options, Scalar>, updating parameters: [Parameter<Scalar>]) throws
    /// One parameter's step: torch's loop body for one parameter, after `step += 1`.
    func apply(_ parameter: inout ParameterStep<Scalar, State>, options: Options) throws
}

/// What an optimizer does with a sparse gradient (torch's sparse COO `.grad`).
public enum SparseGradients: Sendable, Equatable {
    /// torch raises `RuntimeError(message)` before changing anything.
    case rejected(message: String)
    /// torch takes them on a path Lockstep does not reproduce: refused with this message,
    /// which says so, rather than running the dense math.
    case unsupported(message: String)
    /// The optimizer reads ``ParameterStep/sparseMask`` (SparseAdam).
    case accepted
}

/// One parameter's step, handed to ``PerParameterOptimizer/apply(_:options:)``.
///
/// `value` and `grad` point into the parameter's own arrays for the duration of the call:
/// write the new values through `value`, in place. Do not reach the parameter by other
/// means while the step runs.
public struct ParameterStep<Scalar: TensorScalar, State> {
    /// The parameter's values, row-major, written in place.
    public let value: UnsafeMutableBufferPointer<Scalar>
    /// The gradient, row-major (dense; zero where a sparse gradient holds nothing).
    public let grad: UnsafeBufferPointer<Scalar>
    /// The parameter's state, taken out of the optimizer while the step runs.
    public var state: State
    /// The step counter after this step's increment, as torch reads it (`step_t.item()`);
    /// 0 when the state has no `step`.
    public let step: Double
    /// Whether the state was created for this step (the parameter's first with a gradient).
    public let isFirstStep: Bool
    /// The parameter's shape.
    public let shape: [Int]
    /// For a sparse gradient, which entries it holds; `nil` for a dense one.
    public let sparseMask: [Bool]?
    /// The CPU capability whose kernels are reproduced.
    public let cpuCapability: TorchCPUCapability
    /// torch's tensor `sqrt` reproduced: call ``sqrt(_:)``.
    public let tensorSqrt: TorchSqrt
    /// How the element loop may be split across threads.
    public let parallelism: Parallelism

    /// A step over `value` and `grad`: the driver builds one per parameter; a wrapper that
    /// runs another optimizer's ``PerParameterOptimizer/apply(_:options:)`` on other buffers
    /// or another step count (a catalogue variant, a test of the element math) builds its own.
    public init(
        value: UnsafeMutableBufferPointer<Scalar>, grad: UnsafeBufferPointer<Scalar>, state: State, step: Double,
        isFirstStep: Bool, shape: [Int], sparseMask: [Bool]?, cpuCapability: TorchCPUCapability,
        tensorSqrt: TorchSqrt = .correctlyRounded, parallelism: Parallelism
    ) {
        (self.value, self.grad, self.state, self.step, self.isFirstStep) = (value, grad, state, step, isFirstStep)
        (self.shape, self.sparseMask, self.cpuCapability, self.parallelism) = (shape, sparseMask, cpuCapability, parallelism)
        self.tensorSqrt = tensorSqrt
    }

    /// The number of elements.
    public var count: Int { value.count }
    /// The element positions, `0..<count`.
    public var indices: Range<Int> { 0..<value.count }
    /// Whether torch's kernels fuse their multiply-adds (not on `DEFAULT`): pass it to
    /// ``TorchOps``.
    public var fma: Bool { cpuCapability.hasFMA }

    /// torch's tensor `sqrt` of one element (`t.sqrt()`, `sqrt_()`, `torch._foreach_sqrt`),
    /// as the reference host computed it (``TorchSqrt``). Python's `math.sqrt` of a float is
    /// `squareRoot()`.
    @inline(__always)
    public func sqrt(_ x: Scalar) -> Scalar { tensorSqrt(x) }

    /// Element `i` of the gradient as most of torch's `_single_tensor_<name>` loops begin:
    /// `grad = -grad if maximize`, then `grad = grad.add(param, alpha=weight_decay)` where
    /// the decay is not 0 (one multiply-add, fused where the kernel fuses it).
    @inline(__always)
    public func gradient(at i: Int, maximize: Bool, weightDecay: Double) -> Scalar {
        let g = maximize ? -grad[i] : grad[i]
        return weightDecay != 0 ? TorchOps.fusedMultiplyAdd(value[i], Scalar(weightDecay), g, fma) : g
    }
}

extension PerParameterOptimizer {
    public static func sparseGradients(_ options: Options) -> SparseGradients {
        .rejected(message: "\(torchName) does not support sparse gradients")
    }

    public func prepare(_ group: ParamGroup<Options, Scalar>, updating parameters: [Parameter<Scalar>]) throws {}

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        State.zeros(parameterShape: parameter.shape)
    }

    /// The state keys from the layout's required entries; a state with optional entries
    /// (kept by some configurations only) overrides this.
    public static func stateKeys(for options: Options) -> [String] {
        State.entries.filter(\.isRequired).map(\.key)
    }

    /// torch's loop over one group: parameters without a gradient are skipped, sparse
    /// gradients refused (unless ``sparseGradients(_:)`` accepts them) before anything changes,
    /// state created at a parameter's first step, `step` incremented, then ``apply(_:options:)``.
    /// A group whose ``Optimizer/stateKeys(for:)`` is empty creates no state: `apply` gets
    /// an ``initialState(for:options:)`` that is not kept (a state the parameter already
    /// has is kept).
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// The body of ``Optimizer/update(_:)``. An optimizer that declares
    /// `public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }`
    /// gets the driver compiled for its own type: the default implementation runs as generic
    /// code, whose metadata lookups cost about 3 µs a step (`lockstep-bench --sizes 65536`),
    /// which only small tensors notice. Lockstep's optimizers declare it.
    @inline(__always)
    public func drive(_ group: ParamGroup<Options, Scalar>) throws {
        let updating = group.params.filter { $0.grad != nil }
        if updating.contains(where: { $0.sparseGradMask != nil }) {
            switch Self.sparseGradients(group.options) {
            case .rejected(let message), .unsupported(let message): throw OptimizerError(.runtimeError, message)
            case .accepted: break
            }
        }
        try prepare(group, updating: updating)
        // Read once per group: in this generic code, every read of the storage costs
        // metadata lookups, which a small tensor's step would notice.
        let (counter, cpuCapability, tensorSqrt, parallelism) = (State.stepCounter, cpuCapability, tensorSqrt, parallelism)
        for parameter in updating {
            try step(
                parameter, group.options, counter: counter, cpuCapability: cpuCapability, tensorSqrt: tensorSqrt,
                parallelism: parallelism)
        }
    }

    @inline(__always)
    private func step(
        _ parameter: Parameter<Scalar>, _ options: Options, counter: StepCounter.Entry<State>?,
        cpuCapability: TorchCPUCapability, tensorSqrt: TorchSqrt, parallelism: Parallelism
    ) throws {
        guard let grad = parameter.grad else { return }
        // The state is taken out of the optimizer while the step runs: its arrays have one
        // reference (updated in place), and no access to the optimizer's storage is held
        // while `initialState` and `apply` run (they may read the defaults).
        let id = ObjectIdentifier(parameter)
        var stored = storage.state.removeValue(forKey: id)
        let isFirstStep = stored == nil
        var state = stored ?? initialState(for: parameter, options: options)
        stored = nil
        // A configuration without state keys creates no state (torch's SGD without momentum).
        defer { if !isFirstStep || !Self.stateKeys(for: options).isEmpty { storage.state[id] = state } }
        let step = counter?.increment(&state) ?? 0
        try grad.withUnsafeBufferPointer { grad in
            try parameter.value.withUnsafeMutableBufferPointer { value in
                var context = ParameterStep(
                    value: value, grad: grad, state: state, step: step, isFirstStep: isFirstStep, shape: parameter.shape,
                    sparseMask: parameter.sparseGradMask, cpuCapability: cpuCapability, tensorSqrt: tensorSqrt,
                    parallelism: parallelism)
                state = State()  // the context holds the only reference while `apply` runs
                defer { state = context.state }
                try apply(&context, options: options)
            }
        }
    }
}

/// Zeros of a parameter's shape: `torch.zeros_like(p)`.
public func zeros<Scalar: TensorScalar>(like parameter: Parameter<Scalar>) -> [Scalar] {
    [Scalar](repeating: 0, count: parameter.count)
}
