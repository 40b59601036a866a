import Foundation

/// SparseAdam: Adam restricted to the entries a sparse gradient holds (torch's
/// `torch.optim.SparseAdam`), for gradients such as `nn.Embedding(sparse=True)` produces.
///
/// For each entry `i` the (coalesced) sparse gradient `g` holds — an explicitly stored zero
/// is held too — with learning rate `γ`, betas `β₁, β₂`:
///
/// ```
/// t ← t + 1                                  (every step with a gradient, even an empty one)
/// g ← −g                                     if maximize
/// Δm ← (g − mᵢ)(1 − β₁);   mᵢ ← mᵢ + Δm
/// Δv ← (g² − vᵢ)(1 − β₂);  vᵢ ← vᵢ + Δv
/// θᵢ ← θᵢ + (−γ √(1 − β₂ᵗ) / (1 − β₁ᵗ)) · (mᵢ / (√vᵢ + ε))
/// ```
///
/// Entries the gradient does not hold keep their parameter and moments. A gradient that
/// holds nothing updates nothing (its step still counts).
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `maximize = false`.
/// State: `step` (a Python int in torch), `exp_avg`, `exp_avg_sq`.
///
/// Numerics: follows `torch.optim._functional.sparse_adam` op by op on the held values
/// (`sub`, `mul_`, `pow(2)`, `sub_`, `mul_`, the sparse `add_`s, `add_`, `sqrt_`, `add_`,
/// `div_`, the scalar `mul`, the sparse `add_` into θ): no fused multiply-add anywhere;
/// the step size is a Python float, rounded once to the dtype where the tensor uses it (a
/// tensor `lr` makes it a 0-dim tensor, each of its two operations rounded to the lr's dtype:
/// float32 for torch's default `torch.tensor(1e-3)`, whatever the parameters' dtype).
/// torch's `sqrt_` comes from MKL (not always correctly rounded); this uses the correctly
/// rounded square root, so float32 may differ by an ULP there (see `docs/numerics.md`).
///
/// Differs from PyTorch: a parameter's gradient is given dense with a mask
/// (``Parameter/setGrad(_:sparseMask:)``) rather than as a COO tensor; duplicate indices,
/// which torch sums when it coalesces, cannot be expressed.
///
/// References: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015;
/// https://pytorch.org/docs/stable/generated/torch.optim.SparseAdam.html
public final class SparseAdam<Scalar: TensorScalar>: PerParameterOptimizer {
    /// SparseAdam's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); the step size is then a tensor in its dtype.
        public var lrTensor: TensorDType? = nil
        public var betas: Betas
        public var eps: Double
        public var maximize: Bool

        public init(lr: Double = 1e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, maximize: Bool = false) {
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.maximize = maximize
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, maximize
        }
    }

    /// A parameter's state: `step` (a Python int), `exp_avg`, `exp_avg_sq`.
    public typealias State = AdamMomentsState<Scalar>

    public static var torchName: String { "SparseAdam" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/sparse_adam.py`).
    public static func validate(_ o: Options) throws {
        guard 0.0 < o.lr else { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(o.lr))") }
        guard 0.0 < o.eps else { throw OptimizerError(.valueError, "Invalid epsilon value: \(pythonRepr(o.eps))") }
        try TorchCheck.betas(o.betas)
    }

    /// SparseAdam reads the entries each gradient holds (``ParameterStep/sparseMask``).
    public static func sparseGradients(_ options: Options) -> SparseGradients { .accepted }

    /// torch's check that every gradient is sparse, before anything changes (torch raises
    /// after counting the steps of the group's parameters before the dense one).
    public func prepare(_ group: ParamGroup<Options, Scalar>, updating parameters: [Parameter<Scalar>]) throws {
        if parameters.contains(where: { $0.sparseGradMask == nil }) {
            throw OptimizerError(.runtimeError, "SparseAdam does not support dense gradients, please consider Adam instead")
        }
    }

    /// `sparse_adam`'s body for one parameter, on the held entries only.
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        guard let held = p.sparseMask, held.contains(true) else { return }  // "Skip update for empty grad"
        let (beta1, beta2) = (o.betas.beta1, o.betas.beta2)
        let biasCorrection1 = 1 - Foundation.pow(beta1, p.step)          // 1 - beta1 ** step (step an int)
        let biasCorrection2 = 1 - Foundation.pow(beta2, p.step)
        // lr * math.sqrt(bc2) / bc1: Python floats, or tensor operations in a tensor lr's dtype
        let stepSize = o.learningRate * biasCorrection2.squareRoot() / biasCorrection1
        let (c1, c2, eps, negativeStepSize) = (Scalar(1 - beta1), Scalar(1 - beta2), Scalar(o.eps), Scalar((-stepSize).value))
        for i in p.indices where held[i] {
            let g = o.maximize ? -p.grad[i] : p.grad[i]
            let (m, v) = (p.state.expAvg[i], p.state.expAvgSq[i])
            let expAvgUpdate = (g - m) * c1                            // grad_values.sub(old_exp_avg).mul_(1 - beta1)
            p.state.expAvg[i] = m + expAvgUpdate                        // exp_avg.add_(make_sparse(...))
            let expAvgSqUpdate = (g * g - v) * c2                       // grad_values.pow(2).sub_(old).mul_(1 - beta2)
            p.state.expAvgSq[i] = v + expAvgSqUpdate                    // exp_avg_sq.add_(make_sparse(...))
            let numer = expAvgUpdate + m                                // exp_avg_update_values.add_(old_exp_avg_values)
            let denom = p.sqrt(expAvgSqUpdate + v) + eps          // .add_(old).sqrt_().add_(eps)
            p.value[i] = p.value[i] + negativeStepSize * (numer / denom)  // param.add_(make_sparse(-step_size * numer.div_(denom)))
        }
    }
}
