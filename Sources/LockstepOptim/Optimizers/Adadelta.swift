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
/// `differentiable = true` computes as the for-loop path: torch's branch only clones
/// `delta` before `div_` (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected;
/// a tensor `lr` is not supported.
///
/// References: Zeiler, *ADADELTA: An Adaptive Learning Rate Method*, arXiv:1212.5701, 2012;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adadelta.html
public final class Adadelta<Scalar: TensorScalar>: PerParameterOptimizer {
    /// Adadelta's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); torch's arithmetic with it is a float's (measured).
        public var lrTensor: TensorDType? = nil
        public var rho: Double
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
            lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0, maximize: Bool = false,
            foreach: Bool? = nil
        ) {
            (self.lr, self.rho, self.eps, self.weightDecay, self.maximize, self.foreach) =
                (lr, rho, eps, weightDecay, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, rho, eps, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `square_avg` (`v`), `acc_delta` (`u`).
    public struct State: TorchState {
        public var step = 0.0
        public var squareAvg: [Scalar] = []
        public var accDelta: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("square_avg", \.squareAvg), .tensor("acc_delta", \.accDelta)]
        }
    }

    public static var torchName: String { "Adadelta" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/adadelta.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        guard 0.0 <= options.rho, options.rho <= 1.0 else {
            throw OptimizerError(.valueError, "Invalid rho value: \(pythonRepr(options.rho))")
        }
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (rho, oneMinusRho, eps) = (Scalar(o.rho), Scalar(1 - o.rho), Scalar(o.eps))
        let (negativeLR, fma) = (Scalar(-o.lr), p.fma)
        for i in p.indices {
            let g = p.gradient(at: i, maximize: o.maximize, weightDecay: o.weightDecay)       // -grad if maximize; grad.add(param, alpha=wd)
            let v = p.state.squareAvg[i] * rho                                                 // square_avg.mul_(rho)
            p.state.squareAvg[i] = TorchOps.fusedMultiplyAdd(oneMinusRho * g, g, v, fma)       //   .addcmul_(grad, grad, value=1 - rho)
            let std = p.sqrt(p.state.squareAvg[i] + eps)                                 // square_avg.add(eps).sqrt_()
            let delta = p.sqrt(p.state.accDelta[i] + eps) / std * g                      // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
            let u = p.state.accDelta[i] * rho                                                  // acc_delta.mul_(rho)
            p.state.accDelta[i] = TorchOps.fusedMultiplyAdd(oneMinusRho * delta, delta, u, fma)  //   .addcmul_(delta, delta, value=1 - rho)
            p.value[i] = TorchOps.fusedMultiplyAdd(delta, negativeLR, p.value[i], fma)         // param.add_(delta, alpha=-lr)
        }
    }
}
