import LockstepOptim

/// Lion, "evoLved sIgn mOmeNtum" (Chen et al., *Symbolic Discovery of Optimization
/// Algorithms*, NeurIPS 2023, arXiv:2302.06675, Algorithm 2).
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// g ← −g                                   if maximize
/// θ ← θ · (1 − γλ)
/// c ← β₁m + (1 − β₁)g
/// θ ← θ − γ · sign(c)
/// m ← β₂m + (1 − β₂)g
/// ```
///
/// Defaults: `lr = 1e-4`, `betas = (0.9, 0.99)`, `weight_decay = 0`, `maximize = false`.
/// State: `exp_avg` (`m`).
///
/// Numerics: the torch reference (`reference/lion.py`, after lucidrains/lion-pytorch) op by
/// op: `p.mul_(1 − lr·wd)`; `exp_avg.clone().mul_(β₁).add(grad, alpha=1 − β₁).sign_()`;
/// `p.add_(update, alpha=−lr)`; `exp_avg.mul_(β₂).add_(grad, alpha=1 − β₂)`. torch's
/// `add(alpha:)` is one fused multiply-add on AVX2/AVX-512 (`TorchOps.fusedMultiplyAdd`);
/// `sign` of NaN is 0 on CPU.
public final class Lion<Scalar: TensorScalar>: PerParameterOptimizer {
    public struct Options: OptimizerOptions {
        public var lr: Double, betas: Betas, weightDecay: Double, maximize: Bool
        public init(lr: Double = 1e-4, betas: Betas = Betas(0.9, 0.99), weightDecay: Double = 0, maximize: Bool = false) {
            (self.lr, self.betas, self.weightDecay, self.maximize) = (lr, betas, weightDecay, maximize)
        }
        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable { case lr, betas, maximize, weightDecay = "weight_decay" }
    }
    public struct State: TorchState {
        public var expAvg: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] { [.tensor("exp_avg", \.expAvg)] }
    }
    public static var torchName: String { "Lion" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.betas(options.betas)
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (decay, negativeLR, beta1, beta2) = (Scalar(1 - o.lr * o.weightDecay), Scalar(-o.lr), o.betas.beta1, o.betas.beta2)
        let (b1, b2, oneMinusB1, oneMinusB2) = (Scalar(beta1), Scalar(beta2), Scalar(1 - beta1), Scalar(1 - beta2))
        for i in p.indices {
            let g = o.maximize ? -p.grad[i] : p.grad[i]
            let m = p.state.expAvg[i]
            let c = TorchOps.fusedMultiplyAdd(g, oneMinusB1, m * b1, p.fma)
            let sign: Scalar = c > 0 ? 1 : c < 0 ? -1 : 0
            p.value[i] = TorchOps.fusedMultiplyAdd(sign, negativeLR, p.value[i] * decay, p.fma)
            p.state.expAvg[i] = TorchOps.fusedMultiplyAdd(g, oneMinusB2, m * b2, p.fma)
        }
    }
}
