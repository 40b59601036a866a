import Foundation

/// NAdam, Adam with Nesterov momentum: torch's `torch.optim.NAdam`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, momentum decay `ψ`,
/// weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// θ ← θ(1 − γλ)                            if decoupled_weight_decay
/// g ← g + λθ                               else if λ ≠ 0
/// μₜ ← β₁(1 − ½·0.96^(tψ)),  μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ))
/// Π ← Π · μₜ                               (mu_product)
/// m ← lerp(m, g, 1 − β₁)
/// v ← β₂v + (1 − β₂)g²
/// d ← √(v / (1 − β₂ᵗ)) + ε                 for-loop;  foreach: √v / √(1 − β₂ᵗ) + ε
/// θ ← θ − γ(1 − μₜ)/(1 − Π) · g / d
/// θ ← θ − γμₜ₊₁/(1 − Πμₜ₊₁) · m / d
/// ```
///
/// Defaults: `lr = 2e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `momentum_decay = 4e-3`, `decoupled_weight_decay = false`, `maximize = false`.
/// State: `step`, `mu_product` (`Π`, a 0-dim float32 tensor), `exp_avg`, `exp_avg_sq`.
///
/// Numerics: `_single_tensor_nadam` op by op, each rounded to `Scalar`, and with
/// `foreach = true` `_multi_tensor_nadam`, which divides `√v` by `√(1 − β₂ᵗ)` rather than
/// taking the root of `v / (1 − β₂ᵗ)`. `Π` is a float32 tensor on both paths: it is
/// multiplied by `μₜ` rounded to float32, and read back (`.item()`) as a Python float for
/// the step sizes, which are Python floats rounded once to `Scalar`. `lerp_`, `addcmul_` and
/// `add` with `alpha` fuse their multiply-add on AVX2/AVX-512, `addcdiv_` does not; `√` is
/// torch's vectorised sqrt. With `differentiable = true`, `_single_tensor_nadam` keeps `Π`
/// a float32 tensor in the step sizes too: `Π·μₜ₊₁`, `1 − Π` and the division (torch's
/// `a / t` is `t.reciprocal() * a`) are float32, so the two step sizes are float32 values,
/// and it multiplies `g` and `m` by them before `addcdiv_` (value 1), which rounds as
/// `addcdiv_` with `value` does. In float32 this mostly agrees with the for-loop path; in
/// float64 the step sizes keep only float32 precision.
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Dozat, *Incorporating Nesterov Momentum into Adam*, ICLR workshop 2016;
/// https://pytorch.org/docs/stable/generated/torch.optim.NAdam.html
public final class NAdam<Scalar: TensorScalar>: PerParameterOptimizer {
    /// NAdam's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        public var momentumDecay: Double
        /// AdamW-style decay (`θ ← θ(1 − γλ)`) instead of L2 (`g ← g + λθ`).
        public var decoupledWeightDecay: Bool
        public var maximize: Bool
        /// `true` follows the multi-tensor path's rounding (`_multi_tensor_nadam`).
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path: float32 step sizes (see ``NAdam``); autograd itself
        /// is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 2e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false, maximize: Bool = false, foreach: Bool? = nil
        ) {
            (self.lr, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
            (self.momentumDecay, self.decoupledWeightDecay, self.maximize, self.foreach) =
                (momentumDecay, decoupledWeightDecay, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
            case momentumDecay = "momentum_decay"
            case decoupledWeightDecay = "decoupled_weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `mu_product` (`Π`), `exp_avg` (`m`), `exp_avg_sq` (`v`).
    public struct State: TorchState {
        public var step = 0.0
        /// A float32 value, as torch's 0-dim tensor holds it.
        public var muProduct = 0.0
        public var expAvg: [Scalar] = []
        public var expAvgSq: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .number("mu_product", \.muProduct), .tensor("exp_avg", \.expAvg), .tensor("exp_avg_sq", \.expAvgSq)]
        }
    }

    public static var torchName: String { "NAdam" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/nadam.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.nonNegative(options.momentumDecay, "momentum_decay value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        var state = State.zeros(parameterShape: parameter.shape)
        state.muProduct = 1  // torch.ones((), dtype=float32)
        return state
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (beta1, beta2, lr, wd, step, fma) = (o.betas.beta1, o.betas.beta2, o.lr, o.weightDecay, p.step, p.fma)
        let (lerpWeight, b2, oneMinusB2, eps) = (Scalar(1 - beta1), Scalar(beta2), Scalar(1 - beta2), Scalar(o.eps))
        let (decay, l2) = (Scalar(1 - lr * wd), Scalar(wd))
        let multiTensor = o.foreach == true
        let biasCorrection2 = 1 - Foundation.pow(beta2, step)
        let mu = beta1 * (1.0 - 0.5 * Foundation.pow(0.96, step * o.momentumDecay))
        let muNext = beta1 * (1.0 - 0.5 * Foundation.pow(0.96, (step + 1) * o.momentumDecay))
        p.state.muProduct = Double(Float(p.state.muProduct) * Float(mu))                 // mu_product *= mu (float32)
        let gradStep: Scalar, expAvgStep: Scalar
        if o.differentiable {
            // The differentiable branch keeps mu_product a 0-dim float32 tensor: the step
            // sizes are float32 (`1.0 - t` is rsub, `a / t` is `t.reciprocal() * a`).
            let muProduct = Float(p.state.muProduct)
            let muProductNext = muProduct * Float(muNext)                                // mu_product * mu_next
            gradStep = Scalar(Double((1 / (1 - muProduct)) * Float(-lr * (1.0 - mu))))   // -lr * (1.0 - mu) / (1.0 - mu_product)
            expAvgStep = Scalar(Double((1 / (1 - muProductNext)) * Float(-lr * muNext))) // -lr * mu_next / (1.0 - mu_product_next)
        } else {
            let muProductNext = p.state.muProduct * muNext                               // mu_product.item() * mu_next
            gradStep = Scalar(-lr * (1.0 - mu) / (1.0 - p.state.muProduct))
            expAvgStep = Scalar((-lr * muNext) / (1.0 - muProductNext))
        }
        let biasCorrection2Divisor = Scalar(multiTensor ? Foundation.pow(biasCorrection2, 0.5) : biasCorrection2)
        for i in p.indices {
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            if wd != 0 {
                if o.decoupledWeightDecay {
                    p.value[i] = p.value[i] * decay                                              // param.mul_(1 - lr * wd)
                } else {
                    g = TorchOps.fusedMultiplyAdd(p.value[i], l2, g, fma)                       // grad.add(param, alpha=wd)
                }
            }
            p.state.expAvg[i] = TorchOps.lerp(p.state.expAvg[i], g, lerpWeight, fused: fma)  // exp_avg.lerp_(grad, 1 - beta1)
            let v = p.state.expAvgSq[i] * b2                                                 // exp_avg_sq.mul_(beta2)
            p.state.expAvgSq[i] = TorchOps.fusedMultiplyAdd(oneMinusB2 * g, g, v, fma)       //   .addcmul_(grad, grad, value=1 - beta2)
            let denom = multiTensor
                ? p.sqrt(p.state.expAvgSq[i]) / biasCorrection2Divisor + eps             // foreach: sqrt(v) / bc2 ** 0.5 + eps
                : p.sqrt(p.state.expAvgSq[i] / biasCorrection2Divisor) + eps           // exp_avg_sq.div(bc2).sqrt().add_(eps)
            // param.addcdiv_(grad, denom, value=...), and differentiable: param.addcdiv_(grad * step, denom)
            p.value[i] = p.value[i] + gradStep * g / denom
            // param.addcdiv_(exp_avg, denom, value=...), and differentiable: param.addcdiv_(exp_avg * step, denom)
            p.value[i] = p.value[i] + expAvgStep * p.state.expAvg[i] / denom
        }
    }
}
