import Foundation

/// Adam, and with `decoupledWeightDecay` AdamW: torch's `torch.optim.Adam`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// θ ← θ − γλθ                              if decoupled (AdamW)
/// g ← g + λθ                               else if λ ≠ 0 (L2)
/// m ← lerp(m, g, 1 − β₁)                   = β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v)                            if amsgrad (then v̂ replaces v below)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`
/// (AdamW: `1e-2`), `amsgrad = false`, `maximize = false`.
/// State: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
///
/// Numerics: a group with `fused = true` reproduces torch's fused CPU kernel bit for bit
/// for the ``cpuCapability`` it ran with; other groups follow the for-loop path
/// (`_single_tensor_adam`) operation by operation, with FMAs where that capability's
/// kernels have them. A group with `differentiable = true` follows that function's
/// `capturable or differentiable` branch, whose bias corrections are float32 0-dim tensors
/// and which divides by `D = √(1 − β₂ᵗ)·(−step_size)` and adds `E = ε / (−step_size)`,
/// both float32: `θ ← θ + m / (√v / D + E)`. See `AdamKernel` and `docs/numerics.md`.
/// ``parallelism`` splits each tensor across threads without changing a bit.
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
/// Every group is validated, not only the defaults.
///
/// References: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015;
/// Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019;
/// Reddi et al., *On the Convergence of Adam and Beyond*, ICLR 2018;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
public final class Adam<Scalar: TensorScalar>: PerParameterOptimizer, TensorArgumentChecking {
    /// Adam's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        public var amsgrad: Bool
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// Informational: such a group is replayed with the for-loop path's arithmetic; the
        /// multi-tensor path's own rounding has no golden yet.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path (`_single_tensor_adam`'s `capturable or differentiable`
        /// branch), whose float32 scalar arithmetic rounds differently; autograd itself is
        /// not part of Lockstep.
        public var differentiable = false
        /// AdamW's decay (`θ ← θ(1 − γλ)`) instead of L2 (`g ← g + λθ`).
        public var decoupledWeightDecay: Bool

        public init(
            lr: Double = 1e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            amsgrad: Bool = false, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil,
            decoupledWeightDecay: Bool = false
        ) {
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
            self.decoupledWeightDecay = decoupledWeightDecay
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, amsgrad, maximize, fused, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
            case decoupledWeightDecay = "decoupled_weight_decay"
        }
    }

    /// A parameter's state: torch's `step` (a float32 tensor), `exp_avg`, `exp_avg_sq`, and
    /// `max_exp_avg_sq` with amsgrad. AdamW's too.
    public struct State: TorchState {
        public var step = 0.0
        public var expAvg: [Scalar] = []
        public var expAvgSq: [Scalar] = []
        public var maxExpAvgSq: [Scalar]?
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("exp_avg", \.expAvg), .tensor("exp_avg_sq", \.expAvgSq),
             .optionalTensor("max_exp_avg_sq", \.maxExpAvgSq)]
        }

        /// The state before a parameter's first step: zeros, and `max_exp_avg_sq` with amsgrad.
        static func initial(for parameter: Parameter<Scalar>, options: Options) -> Self {
            var state = zeros(parameterShape: parameter.shape)
            state.maxExpAvgSq = options.amsgrad ? state.expAvg : nil
            return state
        }
    }

    public static var torchName: String { "Adam" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/adam.py`); AdamW's too.
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.implementationFlags(
            fused: options.fused, foreach: options.foreach, capturable: options.capturable,
            differentiable: options.differentiable)
    }

    /// `Adam.__init__`'s checks of tensor arguments, before the others, in its order and
    /// words; AdamW's too.
    public static func checkTensorArguments(_ tensors: Set<String>, _ options: Options) throws {
        let foreachNotCapturable = options.foreach == true && !options.capturable
        if tensors.contains("lr"), foreachNotCapturable {
            throw OptimizerError(.valueError, "lr as a Tensor is not supported for capturable=False and foreach=True")
        }
        guard tensors.contains("betas[0]") == tensors.contains("betas[1]") else {
            throw OptimizerError(.valueError, "betas must be either both floats or both Tensors")
        }
        for index in 0..<2 where tensors.contains("betas[\(index)]") && foreachNotCapturable {
            throw OptimizerError(
                .valueError, "betas[\(index)] as a Tensor is not supported for capturable=False and foreach=True")
        }
    }

    /// torch's message on every path, AdamW's too (`Adam._init_group`).
    public static func sparseGradients(_ options: Options) -> SparseGradients {
        .rejected(message: "Adam does not support sparse gradients, please consider SparseAdam instead")
    }

    public static func stateKeys(for options: Options) -> [String] {
        ["step", "exp_avg", "exp_avg_sq"] + (options.amsgrad ? ["max_exp_avg_sq"] : [])
    }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        .initial(for: parameter, options: options)
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options: Options) {
        AdamKernel.apply(&p, options: options)
    }
}
