/// Adadelta: torch's `torch.optim.Adadelta`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, decay `ρ`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// v ← ρv + (1 − ρ)g²                       (mul_, then addcmul_)
/// Δ ← √(u + ε) / √(v + ε) · g
/// u ← ρu + (1 − ρ)Δ²                       (mul_, then addcmul_)
/// θ ← θ − γΔ
/// ```
///
/// Defaults: `lr = 1.0`, `rho = 0.9`, `eps = 1e-6`, `weight_decay = 0`, `maximize = false`.
/// State: `step`, `square_avg` (`v`), `acc_delta` (`u`).
///
/// Numerics: `_single_tensor_adadelta` op by op, each rounded to `Scalar`; `addcmul_` and
/// `add_` with `alpha` are fused multiply-adds on AVX2/AVX-512 (`TorchOps`), `√` is torch's
/// vectorised sqrt (within 1 ULP in float32). The foreach path runs the same ops in the
/// same order on CPU, so one loop serves both.
///
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected;
/// a tensor `lr` is not supported.
///
/// References: Zeiler, *ADADELTA: An Adaptive Learning Rate Method*, arXiv:1212.5701, 2012;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adadelta.html
public final class Adadelta<Scalar: TensorScalar>: Optimizer {
    /// Adadelta's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var rho: Double
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
            lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0, maximize: Bool = false,
            foreach: Bool? = nil
        ) {
            self.lr = lr
            self.rho = rho
            self.eps = eps
            self.weightDecay = weightDecay
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, rho, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `square_avg`, `acc_delta`.
    public struct State: ParameterState {
        public var step: Double
        public var squareAvg: [Scalar]
        public var accDelta: [Scalar]
        public let shape: [Int]

        static var keys: [String] { ["step", "square_avg", "acc_delta"] }

        init(_ parameter: Parameter<Scalar>) {
            shape = parameter.shape
            step = 0
            squareAvg = zeros(like: parameter)
            accDelta = squareAvg
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["step": .scalar(step), "square_avg": .tensor(shape: shape, values: squareAvg),
             "acc_delta": .tensor(shape: shape, values: accDelta)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            let entries = try TorchStateEntries(torchState, shape: parameterShape, optimizer: "Adadelta", keys: Self.keys)
            step = try entries.number("step")
            squareAvg = try entries.tensor("square_avg")
            accDelta = try entries.tensor("acc_delta")
            shape = parameterShape
        }
    }

    public static var torchName: String { "Adadelta" }
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
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, rho: Double = Options().rho, eps: Double = Options().eps,
        weightDecay: Double = Options().weightDecay, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(lr: lr, rho: rho, eps: eps, weightDecay: weightDecay, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/adadelta.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        guard 0.0 <= options.rho, options.rho <= 1.0 else {
            throw OptimizerError(.valueError, "Invalid rho value: \(pythonRepr(options.rho))")
        }
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try rejectNonCPUPaths(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let fma = cpuCapability.hasFMA
        let (rho, oneMinusRho, eps) = (Scalar(o.rho), Scalar(1 - o.rho), Scalar(o.eps))
        let (decay, negativeLR) = (Scalar(o.weightDecay), Scalar(-o.lr))
        forEachParameterWithGradient(in: group, newState: State.init) { parameter, grad, state in
            state.step = torchStepIncrement(state.step)
            for i in 0..<parameter.count {
                var g = o.maximize ? -grad[i] : grad[i]
                if o.weightDecay != 0 {
                    g = TorchOps.fusedMultiplyAdd(parameter.value[i], decay, g, fma)            // grad.add(param, alpha=wd)
                }
                let v = state.squareAvg[i] * rho                                             // square_avg.mul_(rho)
                state.squareAvg[i] = TorchOps.fusedMultiplyAdd(oneMinusRho * g, g, v, fma)   //   .addcmul_(grad, grad, value=1 - rho)
                let std = (state.squareAvg[i] + eps).squareRoot()                            // square_avg.add(eps).sqrt_()
                let delta = (state.accDelta[i] + eps).squareRoot() / std * g                 // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
                let u = state.accDelta[i] * rho                                              // acc_delta.mul_(rho)
                state.accDelta[i] = TorchOps.fusedMultiplyAdd(oneMinusRho * delta, delta, u, fma)  //   .addcmul_(delta, delta, value=1 - rho)
                parameter.value[i] = TorchOps.fusedMultiplyAdd(delta, negativeLR, parameter.value[i], fma)  // param.add_(delta, alpha=-lr)
            }
        }
    }
}

extension Adadelta: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
