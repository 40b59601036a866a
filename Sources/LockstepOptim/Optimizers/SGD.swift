/// Stochastic gradient descent, optionally with (Nesterov) momentum: torch's `torch.optim.SGD`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, momentum `μ`, dampening `τ`,
/// weight decay `λ`:
///
/// ```
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// b ← g                                    if μ ≠ 0, at the parameter's first step
/// b ← μb + (1 − τ)g                        if μ ≠ 0, later
/// g ← g + μb                               if nesterov, else g ← b   (if μ ≠ 0)
/// θ ← θ − γg
/// ```
///
/// Defaults: `lr = 1e-3`, `momentum = 0`, `dampening = 0`, `weight_decay = 0`,
/// `nesterov = false`, `maximize = false`. State: `momentum_buffer`, only with `μ ≠ 0`
/// (without momentum a parameter has no state at all, as in torch).
///
/// Numerics: bit-exact on every CPU path. The for-loop (`_single_tensor_sgd`) and foreach
/// (`_multi_tensor_sgd`, which on CPU runs the same per-tensor kernels) paths are `add` with
/// `alpha` (one FMA on AVX2/AVX-512) and one `mul_`; no square root. A group with
/// `fused = true` reproduces `torch._fused_sgd_`
/// (`aten/src/ATen/native/cpu/FusedSGDKernel.cpp`): the same arithmetic, except that GCC
/// contracts `μb + (1 − τ)g` the other way round in the true scalar epilogue (the last
/// `count % 8` `Float`s, `count % 4` `Double`s): `fma(b, μ, g·(1 − τ))` there,
/// `fma(g, 1 − τ, b·μ)` elsewhere. The `DEFAULT` capability has no FMA.
/// See `docs/numerics-fused.md`.
///
/// Differs from PyTorch: CPU paths only; `differentiable` is rejected; sparse gradients and
/// a tensor `lr` are not supported. Every group is validated, not only the defaults.
///
/// References: Robbins & Monro, *A Stochastic Approximation Method*, 1951; Sutskever,
/// Martens, Dahl & Hinton, *On the importance of initialization and momentum in deep
/// learning*, ICML 2013; https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
public final class SGD<Scalar: TensorScalar>: Optimizer {
    /// SGD's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// The multi-tensor path: on CPU the same per-tensor kernels as the for-loop path.
        public var foreach: Bool?
        /// Rejected when true: the differentiable path computes in another order.
        public var differentiable = false

        public init(
            lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
            nesterov: Bool = false, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, momentum, dampening, nesterov, maximize, fused, foreach, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `momentum_buffer`.
    public struct State: ParameterState {
        public var momentumBuffer: [Scalar]
        /// The parameter's shape, which the buffer shares.
        public let shape: [Int]

        init(momentumBuffer: [Scalar], shape: [Int]) {
            self.momentumBuffer = momentumBuffer
            self.shape = shape
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["momentum_buffer": .tensor(shape: shape, values: momentumBuffer)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            for key in torchState.keys where key != "momentum_buffer" {
                throw OptimizerError(.keyError, "SGD keeps no state '\(key)'")
            }
            momentumBuffer = try torchState.required("momentum_buffer").tensor("momentum_buffer", shape: parameterShape)
            shape = parameterShape
        }
    }

    public static var torchName: String { "SGD" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: it fixes the fused kernel's scalar
    /// epilogue and whether torch's kernels use FMA.
    public var cpuCapability: TorchCPUCapability
    /// How each tensor's element loop is split across threads; the result is the same.
    public var parallelism = Parallelism.serial

    /// Creates the optimizer over `groups`; each group's options default to `defaults`.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Options(), cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        try initializeGroups(groups)
    }

    /// Creates the optimizer over one group of `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, momentum: Double = Options().momentum,
        dampening: Double = Options().dampening, weightDecay: Double = Options().weightDecay,
        nesterov: Bool = Options().nesterov, maximize: Bool = Options().maximize, fused: Bool? = nil
    ) throws {
        let options = Options(
            lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov,
            maximize: maximize, fused: fused)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/sgd.py`).
    ///
    /// torch writes these as `x < 0.0`, not `not 0.0 <= x`: NaN passes, as it does here.
    public static func validate(_ options: Options) throws {
        if options.lr < 0.0 { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
        if options.momentum < 0.0 {
            throw OptimizerError(.valueError, "Invalid momentum value: \(pythonRepr(options.momentum))")
        }
        if options.weightDecay < 0.0 {
            throw OptimizerError(.valueError, "Invalid weight_decay value: \(pythonRepr(options.weightDecay))")
        }
        if options.nesterov && (options.momentum <= 0 || options.dampening != 0) {
            throw OptimizerError(.valueError, "Nesterov momentum requires a momentum and zero dampening")
        }
        try validateImplementationFlags(fused: options.fused, foreach: options.foreach, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { options.momentum != 0 ? ["momentum_buffer"] : [] }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let params = group.params.filter { $0.grad != nil }
        let fused = o.fused == true
        // The fused kernel starts every buffer of a group at once (`is_first_step`); torch
        // fails when only some are missing, before it changes anything.
        if fused, o.momentum != 0 {
            let missing = params.map { parameter in withState(of: parameter) { $0 == nil } }
            if missing.contains(false), let index = missing.firstIndex(of: true) {
                throw OptimizerError(.typeError, "expected Tensor as element \(index) in argument 2, but got NoneType")
            }
        }
        let k = Coefficients(o)
        let hasFMA = cpuCapability.hasFMA
        let span = cpuCapability.scalarEpilogueSpan(for: Scalar.self)
        for parameter in params {
            guard let grad = parameter.grad else { continue }
            // Where the fused kernel's scalar epilogue begins; the for-loop path has none.
            let epilogueStart = fused && hasFMA ? grad.count - grad.count % span : grad.count
            guard o.momentum != 0 else {
                var none: [Scalar] = []
                let f = Flags(o, startsBuffer: false, fma: hasFMA)
                Self.step(&parameter.value, grad, buffer: &none, f, k, epilogueStart, parallelism)
                continue
            }
            withState(of: parameter) { stored in
                var buffer = stored?.momentumBuffer ?? [Scalar](repeating: 0, count: grad.count)
                let f = Flags(o, startsBuffer: stored == nil, fma: hasFMA)
                stored = nil  // release the stored copy so the buffer is updated in place
                Self.step(&parameter.value, grad, buffer: &buffer, f, k, epilogueStart, parallelism)
                stored = State(momentumBuffer: buffer, shape: parameter.shape)
            }
        }
    }

    /// The scalar coefficients, rounded to `Scalar` as the kernels take them.
    struct Coefficients {
        let weightDecay, momentum, dampened, negativeLR: Scalar

        init(_ o: Options) {
            weightDecay = Scalar(o.weightDecay)
            momentum = Scalar(o.momentum)
            dampened = Scalar(1 - o.dampening)
            negativeLR = Scalar(-o.lr)
        }
    }

    /// The options that choose operations, fixed for a whole loop.
    struct Flags {
        let maximize, weightDecay, nesterov: Bool
        /// The parameter's first step with momentum: `buf = grad.clone()`.
        let startsBuffer: Bool
        /// Whether torch's kernels were built with FMA (not for `DEFAULT`).
        let fma: Bool

        init(_ o: Options, startsBuffer: Bool, fma: Bool) {
            self.init(
                maximize: o.maximize, weightDecay: o.weightDecay != 0, nesterov: o.nesterov, startsBuffer: startsBuffer,
                fma: fma)
        }

        init(maximize: Bool, weightDecay: Bool, nesterov: Bool, startsBuffer: Bool, fma: Bool) {
            self.maximize = maximize
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.startsBuffer = startsBuffer
            self.fma = fma
        }
    }

    /// The element buffers of one parameter; `buffer` (`momentum_buffer`) only with momentum.
    struct Buffers: @unchecked Sendable {
        let p: UnsafeMutablePointer<Scalar>
        let g: UnsafePointer<Scalar>
        let buffer: UnsafeMutablePointer<Scalar>?
    }

    /// One parameter's step, split across threads as `parallelism` says; `buffer` is
    /// empty without momentum.
    private static func step(
        _ param: inout [Scalar], _ grad: [Scalar], buffer: inout [Scalar], _ f: Flags, _ k: Coefficients,
        _ epilogueStart: Int, _ parallelism: Parallelism
    ) {
        let count = param.count
        guard count > 0 else { return }  // an empty array may have no buffer address
        param.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeBufferPointer { g in
                buffer.withUnsafeMutableBufferPointer { b in
                    let buffers = Buffers(p: p.baseAddress!, g: g.baseAddress!, buffer: b.isEmpty ? nil : b.baseAddress)
                    parallelism.forEachChunk(count: count) { range in
                        elements(buffers, range, f, k, epilogueStart: epilogueStart)
                    }
                }
            }
        }
    }

    /// The elements `range`: before `epilogueStart` a branch-free loop the compiler
    /// vectorises; the fused kernel's scalar epilogue element by element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func elements(_ b: Buffers, _ range: Range<Int>, _ f: Flags, _ k: Coefficients, epilogueStart: Int) {
        let aligned = firstAlignedIndex(b.p, in: range)
        loops(b, range.lowerBound..<aligned, f, k, epilogueStart: epilogueStart)
        loops(b, aligned..<range.upperBound, f, k, epilogueStart: epilogueStart)
    }

    @inline(__always)
    private static func loops(_ b: Buffers, _ range: Range<Int>, _ f: Flags, _ k: Coefficients, epilogueStart: Int) {
        let body = range.lowerBound..<max(range.lowerBound, min(range.upperBound, epilogueStart))
        // One loop per way the buffer is used, so that no store depends on a flag.
        switch (b.buffer != nil, f.startsBuffer) {
        case (false, _): for i in body { element(i, b, f, k, momentum: false, starts: false, epilogue: false) }
        case (true, true): for i in body { element(i, b, f, k, momentum: true, starts: true, epilogue: false) }
        case (true, false) where f.fma && !f.maximize && !f.nesterov:
            // The usual configuration, with constant flags: the loop computes only what
            // they need instead of every alternative and a select.
            if f.weightDecay {
                let f = Flags(maximize: false, weightDecay: true, nesterov: false, startsBuffer: false, fma: true)
                for i in body { element(i, b, f, k, momentum: true, starts: false, epilogue: false) }
            } else {
                let f = Flags(maximize: false, weightDecay: false, nesterov: false, startsBuffer: false, fma: true)
                for i in body { element(i, b, f, k, momentum: true, starts: false, epilogue: false) }
            }
        case (true, false): for i in body { element(i, b, f, k, momentum: true, starts: false, epilogue: false) }
        }
        for i in body.upperBound..<range.upperBound {
            element(i, b, f, k, momentum: b.buffer != nil, starts: f.startsBuffer, epilogue: true)
        }
    }

    /// Element `i`, in `_single_tensor_sgd`'s order; the fused kernel differs only in its
    /// scalar `epilogue`.
    @inline(__always)
    private static func element(
        _ i: Int, _ b: Buffers, _ f: Flags, _ k: Coefficients, momentum: Bool, starts: Bool, epilogue: Bool
    ) {
        // Every operand is loaded first, so the flags choose between values, not memory
        // accesses, and the loop vectorises without masked loads.
        let (theta, loaded) = (b.p[i], b.g[i])
        var g = f.maximize ? -loaded : loaded
        if f.weightDecay {
            g = TorchOps.fusedMultiplyAdd(theta, k.weightDecay, g, f.fma)         // grad.add(param, alpha=wd)
        }
        if momentum {
            // Unwrapped without a check, so the load is unconditional: `momentum` is true
            // only where `elements` found a buffer.
            let buffer = b.buffer.unsafelyUnwrapped
            let previous = buffer[i]
            let value: Scalar
            if starts {
                value = g                                                         // buf = grad.clone()
            } else if !epilogue {
                value = TorchOps.fusedMultiplyAdd(g, k.dampened, previous * k.momentum, f.fma)
                                                                    // buf.mul_(μ).add_(grad, alpha=1 - τ)
            } else {
                value = Scalar.fma(previous, k.momentum, g * k.dampened)          // fused: scalar epilogue
            }
            buffer[i] = value
            g = f.nesterov ? TorchOps.fusedMultiplyAdd(value, k.momentum, g, f.fma) : value
                                                                    // grad.add(buf, alpha=μ) or buf
        }
        b.p[i] = TorchOps.fusedMultiplyAdd(g, k.negativeLR, theta, f.fma)        // param.add_(grad, alpha=-lr)
    }
}

extension SGD: TorchConstructible, CPUCapabilityDependent, ParallelOptimizer {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
