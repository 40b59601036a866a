import Foundation
import LockstepOptim

/// Keras's Adam (and AdamW): the bias corrections folded into the step size, so ε is added
/// to `√v` uncorrected: torch's form with ε̂ = ε·√(1 − β₂ᵗ).
///
/// With gradient `g`, step `t`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// θ ← θ − θ·γλ                              if λ ≠ 0 (Keras's decoupled decay)
/// α ← γ·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
/// m ← m + (g − m)(1 − β₁)
/// v ← v + (g² − v)(1 − β₂)
/// θ ← θ − (m·α) / (√v + ε)
/// ```
///
/// Sources: Keras 3 `keras/src/optimizers/adam.py` (`Adam.update_step`) and
/// `keras/src/optimizers/base_optimizer.py` (`_apply_weight_decay`); TensorFlow 1's
/// `tf.train.AdamOptimizer` documents the same ε̂. Numerics: op for op the torch subclass
/// `tools/conventions/references.py:KerasAdam`: `add_(x, alpha=c)` is one fused multiply-add
/// on AVX2/AVX-512, α is a Python float.
final class KerasAdam<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Options = Adam<Scalar>.Options
    typealias State = Adam<Scalar>.State

    static var torchName: String { "KerasAdam" }
    static var standardDefaults: Options { Options(eps: 1e-7) }
    var storage: OptimizerStorage<Options, State>
    init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    static func validate(_ options: Options) throws { try Adam<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { ["step", "exp_avg", "exp_avg_sq"] }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (beta1, beta2, t) = (o.betas.beta1, o.betas.beta2, p.step)
        let alpha = o.lr * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        let (c1, c2, a, eps, decay) = (Scalar(1 - beta1), Scalar(1 - beta2), Scalar(alpha), Scalar(o.eps), Scalar(o.lr * o.weightDecay))
        for i in p.indices {
            var theta = p.value[i]
            if o.weightDecay != 0 { theta = theta - theta * decay }                     // p.sub_(p.mul(lr * wd))
            let g = o.maximize ? -p.grad[i] : p.grad[i]
            let m = TorchOps.fusedMultiplyAdd(g - p.state.expAvg[i], c1, p.state.expAvg[i], p.fma)  // m.add_(g - m, alpha=1-β₁)
            let v = TorchOps.fusedMultiplyAdd(g * g - p.state.expAvgSq[i], c2, p.state.expAvgSq[i], p.fma)
            p.state.expAvg[i] = m
            p.state.expAvgSq[i] = v
            p.value[i] = theta - (m * a) / (p.sqrt(v) + eps)                       // p.sub_(m.mul(α).div(√v + ε))
        }
    }
}
