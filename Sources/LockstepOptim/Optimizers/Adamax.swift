import Foundation

/// Adamax, Adam with the infinity norm: torch's `torch.optim.Adamax`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// m ← lerp(m, g, 1 − β₁)                   = β₁m + (1 − β₁)g
/// u ← max(β₂u, |g| + ε)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / u
/// ```
///
/// Defaults: `lr = 2e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `maximize = false`. State: `step`, `exp_avg` (`m`), `exp_inf` (`u`).
///
/// Numerics: `_single_tensor_adamax` op by op, each rounded to `Scalar`: `lerp_` and `add`
/// with `alpha` fuse their multiply-add on AVX2/AVX-512, `addcdiv_` does not
/// (`θ + (s·m)/u`); `maximum` propagates NaN. `1 − β₁ᵗ` and the step size are Python
/// floats, rounded once to `Scalar`. No square root: float32 and float64 are bit-exact.
/// The foreach path runs the same ops in the same order on CPU.
///
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected.
///
/// References: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, §7.1;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adamax.html
public final class Adamax<Scalar: TensorScalar>: Optimizer {
    /// Adamax's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        public var maximize: Bool
        /// Informational: the multi-tensor path rounds as the for-loop path on CPU.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// Rejected when true.
        public var differentiable = false

        public init(
            lr: Double = 2e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            maximize: Bool = false, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `exp_avg`, `exp_inf`.
    public struct State: ParameterState {
        public var step: Double
        public var expAvg: [Scalar]
        public var expInf: [Scalar]
        public let shape: [Int]

        static var keys: [String] { ["step", "exp_avg", "exp_inf"] }

        init(_ parameter: Parameter<Scalar>) {
            shape = parameter.shape
            step = 0
            expAvg = zeros(like: parameter)
            expInf = expAvg
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["step": .scalar(step), "exp_avg": .tensor(shape: shape, values: expAvg),
             "exp_inf": .tensor(shape: shape, values: expInf)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            let entries = try TorchStateEntries(torchState, shape: parameterShape, optimizer: "Adamax", keys: Self.keys)
            step = try entries.number("step")
            expAvg = try entries.tensor("exp_avg")
            expInf = try entries.tensor("exp_inf")
            shape = parameterShape
        }
    }

    public static var torchName: String { "Adamax" }
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
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, betas: Betas = Options().betas,
        eps: Double = Options().eps, weightDecay: Double = Options().weightDecay, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/adamax.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try rejectNonCPUPaths(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let fma = cpuCapability.hasFMA
        let (lerpWeight, beta2, eps, decay) = (Scalar(1 - o.betas.beta1), Scalar(o.betas.beta2), Scalar(o.eps), Scalar(o.weightDecay))
        forEachParameterWithGradient(in: group, newState: State.init) { parameter, grad, state in
            state.step = torchStepIncrement(state.step)
            let biasCorrection = 1 - Foundation.pow(o.betas.beta1, state.step)      // 1 - beta1 ** step
            let negativeStepSize = Scalar(-(o.lr / biasCorrection))                 // value=-clr
            for i in 0..<parameter.count {
                var g = o.maximize ? -grad[i] : grad[i]
                if o.weightDecay != 0 {
                    g = TorchOps.fusedMultiplyAdd(parameter.value[i], decay, g, fma)            // grad.add(param, alpha=wd)
                }
                state.expAvg[i] = TorchOps.lerp(state.expAvg[i], g, lerpWeight, fused: fma)      // exp_avg.lerp_(grad, 1 - beta1)
                state.expInf[i] = TorchOps.maximum(state.expInf[i] * beta2, g.magnitude + eps)  // maximum(exp_inf.mul_(b2), |g| + eps)
                parameter.value[i] = parameter.value[i] + negativeStepSize * state.expAvg[i] / state.expInf[i]  // addcdiv_
            }
        }
    }
}

extension Adamax: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
