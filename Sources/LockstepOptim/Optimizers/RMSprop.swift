/// RMSprop: torch's `torch.optim.RMSprop`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, smoothing `α`, momentum `μ`,
/// weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// v ← αv + (1 − α)g²                       (mul_, then addcmul_)
/// ḡ ← lerp(ḡ, g, 1 − α)                    if centered
/// a ← √(v − ḡ²) + ε  if centered,  else  √v + ε
/// b ← μb + g / a;   θ ← θ − γb             if μ > 0
/// θ ← θ − γ · g / a                        otherwise
/// ```
///
/// Defaults: `lr = 1e-2`, `alpha = 0.99`, `eps = 1e-8`, `weight_decay = 0`, `momentum = 0`,
/// `centered = false`, `maximize = false`. State: `step`, `square_avg` (`v`),
/// `momentum_buffer` (`b`) when `momentum > 0`, `grad_avg` (`ḡ`) when centered.
///
/// Numerics: `_single_tensor_rmsprop` op by op, each rounded to `Scalar`; `addcmul_`,
/// `lerp_` and `add_` with `alpha` fuse their multiply-add on AVX2/AVX-512 (`v − ḡ²` is
/// `addcmul(v, ḡ, ḡ, value=−1)`, one FMA), `addcdiv_` does not; `√` is torch's vectorised
/// sqrt (not correctly rounded in ~1 % of float64 and ~15 % of float32 inputs). The
/// foreach path runs the same ops in the same order on CPU.
///
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected.
///
/// References: Hinton, *Neural Networks for Machine Learning*, lecture 6e, 2012;
/// Graves, *Generating Sequences With Recurrent Neural Networks*, arXiv:1308.0850, 2013
/// (the centered form); https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
public final class RMSprop<Scalar: TensorScalar>: Optimizer {
    /// RMSprop's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var alpha: Double
        public var eps: Double
        public var weightDecay: Double
        public var momentum: Double
        public var centered: Bool
        public var maximize: Bool
        /// Informational: the multi-tensor path rounds as the for-loop path on CPU.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// Rejected when true.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
            centered: Bool = false, maximize: Bool = false, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.alpha = alpha
            self.eps = eps
            self.weightDecay = weightDecay
            self.momentum = momentum
            self.centered = centered
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, alpha, eps, momentum, centered, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `square_avg`, `momentum_buffer`, `grad_avg`.
    public struct State: ParameterState {
        public var step: Double
        public var squareAvg: [Scalar]
        public var momentumBuffer: [Scalar]?
        public var gradAvg: [Scalar]?
        public let shape: [Int]

        init(_ parameter: Parameter<Scalar>, options: Options) {
            shape = parameter.shape
            step = 0
            squareAvg = zeros(like: parameter)
            momentumBuffer = options.momentum > 0 ? squareAvg : nil
            gradAvg = options.centered ? squareAvg : nil
        }

        public var torchState: [String: StateValue<Scalar>] {
            var entries: [String: StateValue<Scalar>] = ["step": .scalar(step), "square_avg": .tensor(shape: shape, values: squareAvg)]
            if let momentumBuffer { entries["momentum_buffer"] = .tensor(shape: shape, values: momentumBuffer) }
            if let gradAvg { entries["grad_avg"] = .tensor(shape: shape, values: gradAvg) }
            return entries
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            let entries = try TorchStateEntries(
                torchState, shape: parameterShape, optimizer: "RMSprop", keys: ["step", "square_avg", "momentum_buffer", "grad_avg"])
            step = try entries.number("step")
            squareAvg = try entries.tensor("square_avg")
            momentumBuffer = try entries.optionalTensor("momentum_buffer")
            gradAvg = try entries.optionalTensor("grad_avg")
            shape = parameterShape
        }
    }

    public static var torchName: String { "RMSprop" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: whether they use FMA.
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
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, alpha: Double = Options().alpha, eps: Double = Options().eps,
        weightDecay: Double = Options().weightDecay, momentum: Double = Options().momentum,
        centered: Bool = Options().centered, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(
            lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay, momentum: momentum, centered: centered, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/rmsprop.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.nonNegative(options.momentum, "momentum value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.nonNegative(options.alpha, "alpha value")
        try rejectNonCPUPaths(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] {
        ["step", "square_avg"] + (options.momentum > 0 ? ["momentum_buffer"] : []) + (options.centered ? ["grad_avg"] : [])
    }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let fma = cpuCapability.hasFMA
        let (alpha, oneMinusAlpha, eps, decay) = (Scalar(o.alpha), Scalar(1 - o.alpha), Scalar(o.eps), Scalar(o.weightDecay))
        let (momentum, negativeLR) = (Scalar(o.momentum), Scalar(-o.lr))
        forEachParameterWithGradient(in: group, newState: { State($0, options: o) }) { parameter, grad, state in
            state.step = torchStepIncrement(state.step)
            for i in 0..<parameter.count {
                var g = o.maximize ? -grad[i] : grad[i]
                if o.weightDecay != 0 {
                    g = TorchOps.fusedMultiplyAdd(parameter.value[i], decay, g, fma)             // grad.add(param, alpha=wd)
                }
                let v = state.squareAvg[i] * alpha                                            // square_avg.mul_(alpha)
                state.squareAvg[i] = TorchOps.fusedMultiplyAdd(oneMinusAlpha * g, g, v, fma)  //   .addcmul_(grad, grad, value=1 - alpha)
                var avg: Scalar
                if o.centered, var gradAvg = state.gradAvg?[i] {
                    gradAvg = TorchOps.lerp(gradAvg, g, oneMinusAlpha, fused: fma)            // grad_avg.lerp_(grad, 1 - alpha)
                    state.gradAvg![i] = gradAvg
                    avg = TorchOps.fusedMultiplyAdd(-gradAvg, gradAvg, state.squareAvg[i], fma).squareRoot()  // addcmul(.., value=-1).sqrt_()
                } else {
                    avg = state.squareAvg[i].squareRoot()                                    // square_avg.sqrt()
                }
                avg = avg + eps                                                              // avg.add_(eps)
                if o.momentum > 0, let buffer = state.momentumBuffer?[i] {
                    let b = buffer * momentum + g / avg                                      // buf.mul_(momentum).addcdiv_(grad, avg)
                    state.momentumBuffer![i] = b
                    parameter.value[i] = TorchOps.fusedMultiplyAdd(b, negativeLR, parameter.value[i], fma)  // param.add_(buf, alpha=-lr)
                } else {
                    parameter.value[i] = parameter.value[i] + negativeLR * g / avg           // param.addcdiv_(grad, avg, value=-lr)
                }
            }
        }
    }
}

extension RMSprop: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
