import Foundation

/// RAdam, Adam with a rectified adaptive learning rate: torch's `torch.optim.RAdam`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// θ ← θ(1 − γλ)                            if decoupled_weight_decay
/// g ← g + λθ                               else if λ ≠ 0
/// m ← lerp(m, g, 1 − β₁)
/// v ← β₂v + (1 − β₂)g²
/// ρ∞ ← 2/(1 − β₂) − 1,   ρₜ ← ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
/// m̂ ← m / (1 − β₁ᵗ)
/// if ρₜ > 5:  r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
///             θ ← θ − γ · m̂ · √(1 − β₂ᵗ)/(√v + ε) · r
/// else:       θ ← θ − γ · m̂
/// ```
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`,
/// `decoupled_weight_decay = false`, `maximize = false`. State: `step`, `exp_avg`,
/// `exp_avg_sq`.
///
/// Numerics: `_single_tensor_radam` op by op: `m̂ = m / (1 − β₁ᵗ)`, then
/// `((m̂·γ)·a)·r` with `a = (1/(√v + ε))·√(1 − β₂ᵗ)` (Python's `float / tensor` is
/// `reciprocal() * float`), each rounded to `Scalar`. With `foreach = true`,
/// `_multi_tensor_radam`, which folds the step into one factor per element:
/// `b = 1/((√v + ε) / c) + u` with `c = −√(1 − β₂ᵗ)·γr/(1 − β₁ᵗ)` (`−0` before the switch)
/// and `u = −γ/(1 − β₁ᵗ)` before the switch (0 after), then `θ ← θ + m·b` (one FMA).
/// `ρₜ`, `r` and the coefficients are Python floats rounded once to `Scalar`; `lerp_`,
/// `addcmul_` and `add` with `alpha` fuse their multiply-add on AVX2/AVX-512; `√` is
/// torch's vectorised sqrt.
///
/// `differentiable = true` computes as the for-loop path: torch's branch only adds `eps`
/// out of place (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Liu et al., *On the Variance of the Adaptive Learning Rate and Beyond*,
/// ICLR 2020; https://pytorch.org/docs/stable/generated/torch.optim.RAdam.html
public final class RAdam<Scalar: TensorScalar>: PerParameterOptimizer {
    /// RAdam's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        /// AdamW-style decay (`θ ← θ(1 − γλ)`) instead of L2 (`g ← g + λθ`).
        public var decoupledWeightDecay: Bool
        public var maximize: Bool
        /// `true` follows the multi-tensor path's rounding (`_multi_tensor_radam`).
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            decoupledWeightDecay: Bool = false, maximize: Bool = false, foreach: Bool? = nil
        ) {
            (self.lr, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
            (self.decoupledWeightDecay, self.maximize, self.foreach) = (decoupledWeightDecay, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
            case decoupledWeightDecay = "decoupled_weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `exp_avg` (`m`), `exp_avg_sq` (`v`).
    public struct State: TorchState {
        public var step = 0.0
        public var expAvg: [Scalar] = []
        public var expAvgSq: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("exp_avg", \.expAvg), .tensor("exp_avg_sq", \.expAvgSq)]
        }
    }

    public static var torchName: String { "RAdam" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/radam.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    /// The scalar coefficients of one step, in Python floats as torch computes them.
    struct Coefficients {
        let biasCorrection1, biasCorrection2Sqrt: Double
        /// The rectification term `r`, `nil` while `ρₜ ≤ 5`.
        let rect: Double?

        init(_ o: Options, step: Double) {
            let (beta1, beta2) = (o.betas.beta1, o.betas.beta2)
            biasCorrection1 = 1 - Foundation.pow(beta1, step)
            let biasCorrection2 = 1 - Foundation.pow(beta2, step)
            biasCorrection2Sqrt = Foundation.pow(biasCorrection2, 0.5)
            let rhoInf = 2 / (1 - beta2) - 1
            let rhoT = rhoInf - 2 * step * Foundation.pow(beta2, step) / biasCorrection2
            rect = rhoT > 5.0
                ? Foundation.pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5) : nil
        }
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (lr, wd, fma) = (o.lr, o.weightDecay, p.fma)
        let (lerpWeight, b2, oneMinusB2, eps) = (Scalar(1 - o.betas.beta1), Scalar(o.betas.beta2), Scalar(1 - o.betas.beta2), Scalar(o.eps))
        let (decay, l2) = (Scalar(1 - lr * wd), Scalar(wd))
        let multiTensor = o.foreach == true
        let k = Coefficients(o, step: p.step)
        // for-loop path
        let (biasCorrection1, learningRate) = (Scalar(k.biasCorrection1), Scalar(lr))
        let (rect, biasCorrection2Sqrt) = (Scalar(k.rect ?? 0), Scalar(k.biasCorrection2Sqrt))
        // foreach path: rect_step_size = sqrt(bc2) * (lr * rect / bc1) * -1, unrect_step_size = (lr * unrect / bc1) * -1
        let rectStepSize = Scalar(k.biasCorrection2Sqrt * (lr * (k.rect ?? 0) / k.biasCorrection1) * -1)
        let unrectStepSize = Scalar((lr * (k.rect == nil ? 1.0 : 0) / k.biasCorrection1) * -1)
        for i in p.indices {
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            if wd != 0 {
                if o.decoupledWeightDecay {
                    p.value[i] = p.value[i] * decay                                              // param.mul_(1 - lr * wd)
                } else {
                    g = TorchOps.fusedMultiplyAdd(p.value[i], l2, g, fma)                       // grad.add(param, alpha=wd)
                }
            }
            let m = TorchOps.lerp(p.state.expAvg[i], g, lerpWeight, fused: fma)              // exp_avg.lerp_(grad, 1 - beta1)
            p.state.expAvg[i] = m
            let v = TorchOps.fusedMultiplyAdd(oneMinusB2 * g, g, p.state.expAvgSq[i] * b2, fma)  // mul_(beta2).addcmul_(g, g, 1 - beta2)
            p.state.expAvgSq[i] = v
            if multiTensor {
                let buffer = 1 / ((p.sqrt(v) + eps) / rectStepSize) + unrectStepSize     // sqrt, add_ eps, div_, reciprocal_, add_
                p.value[i] = TorchOps.fusedMultiplyAdd(m, buffer, p.value[i], fma)            // addcmul_(params, exp_avgs, buffer)
                continue
            }
            let corrected = m / biasCorrection1                                               // exp_avg / bias_correction1
            var update = corrected * learningRate                                            // ... * lr
            if k.rect != nil {
                let adaptive = 1 / (p.sqrt(v) + eps) * biasCorrection2Sqrt               // bc2 ** 0.5 / (sqrt(v) + eps)
                update = update * adaptive * rect                                             // ... * adaptive_lr * rect
            }
            p.value[i] = p.value[i] - update                                                  // param.add_(update, alpha=-1.0)
        }
    }
}
