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
/// `differentiable = true` computes as the for-loop path: torch's branch takes the
/// maximum as `amax` over a `cat` of both tensors, which propagates NaN as `maximum` does
/// (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, §7.1;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adamax.html
public final class Adamax<Scalar: TensorScalar>: PerParameterOptimizer {
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
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 2e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            maximize: Bool = false, foreach: Bool? = nil
        ) {
            (self.lr, self.betas, self.eps, self.weightDecay, self.maximize, self.foreach) =
                (lr, betas, eps, weightDecay, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `exp_avg` (`m`), `exp_inf` (`u`).
    public struct State: TorchState {
        public var step = 0.0
        public var expAvg: [Scalar] = []
        public var expInf: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("exp_avg", \.expAvg), .tensor("exp_inf", \.expInf)]
        }
    }

    public static var torchName: String { "Adamax" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/adamax.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (lerpWeight, beta2, eps) = (Scalar(1 - o.betas.beta1), Scalar(o.betas.beta2), Scalar(o.eps))
        let negativeStepSize = Scalar(-(o.lr / (1 - Foundation.pow(o.betas.beta1, p.step))))  // value=-lr / (1 - beta1 ** step)
        for i in p.indices {
            let g = p.gradient(at: i, maximize: o.maximize, weightDecay: o.weightDecay)       // -grad if maximize; grad.add(param, alpha=wd)
            p.state.expAvg[i] = TorchOps.lerp(p.state.expAvg[i], g, lerpWeight, fused: p.fma)  // exp_avg.lerp_(grad, 1 - beta1)
            p.state.expInf[i] = TorchOps.maximum(p.state.expInf[i] * beta2, g.magnitude + eps) // maximum(exp_inf.mul_(b2), |g| + eps)
            p.value[i] = p.value[i] + negativeStepSize * p.state.expAvg[i] / p.state.expInf[i] // addcdiv_
        }
    }
}
