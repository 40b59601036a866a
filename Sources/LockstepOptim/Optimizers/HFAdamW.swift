import Foundation

/// The AdamW of pytorch-transformers (`transformers.optimization.AdamW`), from which this
/// project started: Adam with bias correction optional, `ε` added to the raw `√v`, and
/// weight decay applied after the update.
///
/// ```
/// t ← t + 1
/// m ← β₁m + (1 − β₁)g                      (mul_, then add_ with alpha)
/// v ← β₂v + (1 − β₂)g²                     (mul_, then addcmul_)
/// α ← γ · √(1 − β₂ᵗ) / (1 − β₁ᵗ)           if correct_bias, else α ← γ
/// θ ← θ − α · m / (√v + ε)
/// θ ← θ − γλθ                              if λ > 0, after the update
/// ```
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-6`, `weight_decay = 0`,
/// `correct_bias = true`. State: `step`, `exp_avg`, `exp_avg_sq`.
///
/// Differs from torch's ``AdamW``: `ε` is added to `√v` before bias correction is folded
/// into the step size, and the decay uses the already-updated `θ`. Differs from its
/// reference (`tools/lockstep_golden/references.py`): none; every group is validated.
///
/// Reference: Hugging Face, pytorch-transformers 1.x, `optimization.py`, class `AdamW`.
public final class HFAdamW<Scalar: TensorScalar>: PerParameterOptimizer {
    /// HFAdamW's hyperparameters under the reference's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        public var correctBias: Bool

        public init(
            lr: Double = 1e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-6, weightDecay: Double = 0,
            correctBias: Bool = true
        ) {
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.correctBias = correctBias
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps
            case weightDecay = "weight_decay"
            case correctBias = "correct_bias"
        }
    }

    /// A parameter's state: `step` (a Python int), `exp_avg`, `exp_avg_sq`.
    public typealias State = AdamMomentsState<Scalar>

    public static var torchName: String { "HFAdamW" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// The reference's checks, in its order and words.
    public static func validate(_ options: Options) throws {
        guard options.lr >= 0.0 else {
            throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr)) - should be >= 0.0")
        }
        for beta in [options.betas.beta1, options.betas.beta2] where !(0.0 <= beta && beta < 1.0) {
            throw OptimizerError(.valueError, "Invalid beta parameter: \(pythonRepr(beta)) - should be in [0.0, 1.0)")
        }
        guard 0.0 <= options.eps else {
            throw OptimizerError(.valueError, "Invalid epsilon value: \(pythonRepr(options.eps)) - should be >= 0.0")
        }
    }

    /// The reference's message (it is torch's Adam's).
    public static func sparseGradients(_ options: Options) -> SparseGradients {
        .rejected(message: "Adam does not support sparse gradients, please consider SparseAdam instead")
    }

    /// The reference's loop body, one tensor op per line (each rounds to `Scalar`).
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (beta1, beta2) = (o.betas.beta1, o.betas.beta2)
        var stepSize = o.lr
        if o.correctBias {
            let biasCorrection1 = 1.0 - Foundation.pow(beta1, p.step)
            let biasCorrection2 = 1.0 - Foundation.pow(beta2, p.step)
            stepSize = stepSize * biasCorrection2.squareRoot() / biasCorrection1
        }
        let b1 = Scalar(beta1), oneMinusB1 = Scalar(1.0 - beta1)
        let b2 = Scalar(beta2), oneMinusB2 = Scalar(1.0 - beta2)
        let eps = Scalar(o.eps)
        let negStepSize = Scalar(-stepSize)
        let decay = o.weightDecay > 0.0 ? Scalar(-o.lr * o.weightDecay) : nil
        let fma = p.fma
        for i in p.indices {
            let g = p.grad[i]
            var m = p.state.expAvg[i] * b1                                    // exp_avg.mul_(beta1)
            m = TorchOps.fusedMultiplyAdd(g, oneMinusB1, m, fma)               //   .add_(grad, alpha=1 - beta1)
            var v = p.state.expAvgSq[i] * b2                                   // exp_avg_sq.mul_(beta2)
            v = TorchOps.fusedMultiplyAdd(oneMinusB2 * g, g, v, fma)           //   .addcmul_(grad, grad, value=1 - beta2)
            (p.state.expAvg[i], p.state.expAvgSq[i]) = (m, v)
            let denom = p.sqrt(v) + eps                                    // exp_avg_sq.sqrt().add_(eps)
            var theta = p.value[i] + negStepSize * m / denom                   // p.addcdiv_(exp_avg, denom, value=-step_size)
            if let decay {
                theta = TorchOps.fusedMultiplyAdd(theta, decay, theta, fma)    // p.add_(p, alpha=-lr * weight_decay)
            }
            p.value[i] = theta
        }
    }
}
