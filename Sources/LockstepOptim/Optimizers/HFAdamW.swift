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
public final class HFAdamW<Scalar: TensorScalar>: Optimizer {
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

    /// A parameter's state: `step`, `exp_avg`, `exp_avg_sq`.
    public typealias State = AdamMomentsState<Scalar>

    public static var torchName: String { "HFAdamW" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: `add_` with alpha and `addcmul_`
    /// use FMA except under `DEFAULT`.
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
        eps: Double = Options().eps, weightDecay: Double = Options().weightDecay, correctBias: Bool = Options().correctBias
    ) throws {
        let options = Options(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, correctBias: correctBias)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// The reference's checks, in its order and words.
    public static func validate(_ options: Options) throws {
        guard options.lr >= 0.0 else {
            throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr)) - should be >= 0.0")
        }
        guard 0.0 <= options.betas.beta1, options.betas.beta1 < 1.0 else {
            throw OptimizerError(.valueError, "Invalid beta parameter: \(pythonRepr(options.betas.beta1)) - should be in [0.0, 1.0)")
        }
        guard 0.0 <= options.betas.beta2, options.betas.beta2 < 1.0 else {
            throw OptimizerError(.valueError, "Invalid beta parameter: \(pythonRepr(options.betas.beta2)) - should be in [0.0, 1.0)")
        }
        guard 0.0 <= options.eps else {
            throw OptimizerError(.valueError, "Invalid epsilon value: \(pythonRepr(options.eps)) - should be >= 0.0")
        }
    }

    public static func stateKeys(for options: Options) -> [String] { ["step", "exp_avg", "exp_avg_sq"] }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        for parameter in group.params {
            guard let grad = parameter.grad else { continue }
            if parameter.sparseGradMask != nil {
                throw OptimizerError(.runtimeError, "Adam does not support sparse gradients, please consider SparseAdam instead")
            }
            withState(of: parameter) { stored in
                var state = stored ?? State(shape: parameter.shape)
                stored = nil  // keep one reference, so the arrays are updated in place
                state.step += 1
                Self.step(param: &parameter.value, grad: grad, state: &state, options: o, fma: cpuCapability.hasFMA)
                stored = state
            }
        }
    }

    /// The reference's loop body, one tensor op per line (each rounds to `Scalar`).
    private static func step(param: inout [Scalar], grad: [Scalar], state: inout State, options o: Options, fma: Bool) {
        let (beta1, beta2) = (o.betas.beta1, o.betas.beta2)
        var stepSize = o.lr
        if o.correctBias {
            let biasCorrection1 = 1.0 - Foundation.pow(beta1, state.step)
            let biasCorrection2 = 1.0 - Foundation.pow(beta2, state.step)
            stepSize = stepSize * biasCorrection2.squareRoot() / biasCorrection1
        }
        let b1 = Scalar(beta1), oneMinusB1 = Scalar(1.0 - beta1)
        let b2 = Scalar(beta2), oneMinusB2 = Scalar(1.0 - beta2)
        let eps = Scalar(o.eps)
        let negStepSize = Scalar(-stepSize)
        let decay = o.weightDecay > 0.0 ? Scalar(-o.lr * o.weightDecay) : nil

        param.withUnsafeMutableBufferPointer { p in
        state.expAvg.withUnsafeMutableBufferPointer { m in
        state.expAvgSq.withUnsafeMutableBufferPointer { v in
            for i in 0..<p.count {
                let g = grad[i]
                m[i] = m[i] * b1                                  // exp_avg.mul_(beta1)
                m[i] = TorchOps.fusedMultiplyAdd(g, oneMinusB1, m[i], fma)        //   .add_(grad, alpha=1 - beta1)
                v[i] = v[i] * b2                                                    // exp_avg_sq.mul_(beta2)
                v[i] = TorchOps.fusedMultiplyAdd(oneMinusB2 * g, g, v[i], fma)    //   .addcmul_(grad, grad, value=1 - beta2)
                let denom = v[i].squareRoot() + eps               // exp_avg_sq.sqrt().add_(eps)
                p[i] = p[i] + negStepSize * m[i] / denom          // p.addcdiv_(exp_avg, denom, value=-step_size)
                if let decay {
                    p[i] = TorchOps.fusedMultiplyAdd(p[i], decay, p[i], fma)      // p.add_(p, alpha=-lr * weight_decay)
                }
            }
        }
        }
        }
    }
}
