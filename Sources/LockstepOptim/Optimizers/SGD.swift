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
                Self.step(&parameter.value, grad, buffer: &none, startsBuffer: false, o, k, hasFMA, epilogueStart)
                continue
            }
            withState(of: parameter) { stored in
                var buffer = stored?.momentumBuffer ?? [Scalar](repeating: 0, count: grad.count)
                let starts = stored == nil
                stored = nil  // release the stored copy so the buffer is updated in place
                Self.step(&parameter.value, grad, buffer: &buffer, startsBuffer: starts, o, k, hasFMA, epilogueStart)
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

    /// One parameter's step, in `_single_tensor_sgd`'s order; the fused kernel differs only
    /// from `epilogueStart` on.
    private static func step(
        _ param: inout [Scalar], _ grad: [Scalar], buffer: inout [Scalar], startsBuffer: Bool, _ o: Options,
        _ k: Coefficients, _ fma: Bool, _ epilogueStart: Int
    ) {
        param.withUnsafeMutableBufferPointer { p in
            buffer.withUnsafeMutableBufferPointer { b in
                for i in 0..<p.count {
                    var g = o.maximize ? -grad[i] : grad[i]
                    if o.weightDecay != 0 {
                        g = TorchOps.fusedMultiplyAdd(p[i], k.weightDecay, g, fma)    // grad.add(param, alpha=wd)
                    }
                    if o.momentum != 0 {
                        if startsBuffer {
                            b[i] = g                                                  // buf = grad.clone()
                        } else if i < epilogueStart {
                            b[i] = TorchOps.fusedMultiplyAdd(g, k.dampened, b[i] * k.momentum, fma)
                                                                    // buf.mul_(μ).add_(grad, alpha=1 - τ)
                        } else {
                            b[i] = Scalar.fma(b[i], k.momentum, g * k.dampened)       // fused: scalar epilogue
                        }
                        g = o.nesterov ? TorchOps.fusedMultiplyAdd(b[i], k.momentum, g, fma) : b[i]
                                                                    // grad.add(buf, alpha=μ) or buf
                    }
                    p[i] = TorchOps.fusedMultiplyAdd(g, k.negativeLR, p[i], fma)      // param.add_(grad, alpha=-lr)
                }
            }
        }
    }
}

extension SGD: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
