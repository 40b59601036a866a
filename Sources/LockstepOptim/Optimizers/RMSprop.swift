/// RMSprop: torch's `torch.optim.RMSprop`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, smoothing `α`, momentum `μ`,
/// weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// v ← αv + (1 − α)g²                       (mul_, then addcmul_)
/// ḡ ← lerp(ḡ, g, 1 − α)                    if centered
/// a ← √(v − ḡ²) + ε  if centered,  else  √v + ε
/// b ← μb + g / a;   θ ← θ − γb             if μ > 0
/// θ ← θ − γ · g / a                        otherwise
/// ```
///
/// Defaults: `lr = 1e-2`, `alpha = 0.99`, `eps = 1e-8`, `weight_decay = 0`, `momentum = 0`,
/// `centered = false`, `maximize = false`. State: `step`, `square_avg` (`v`),
/// `momentum_buffer` (`b`) when `momentum > 0`, `grad_avg` (`ḡ`) when centered.
///
/// Numerics: `_single_tensor_rmsprop` op by op, each rounded to `Scalar`; `addcmul_`,
/// `lerp_` and `add_` with `alpha` fuse their multiply-add on AVX2/AVX-512 (`v − ḡ²` is
/// `addcmul(v, ḡ, ḡ, value=−1)`, one FMA), `addcdiv_` does not; `√` is torch's vectorised
/// sqrt (not correctly rounded in ~1 % of float64 and ~15 % of float32 inputs). The
/// foreach path runs the same ops in the same order on CPU.
///
/// `differentiable = true` computes as the for-loop path: torch's branch only adds `eps`
/// out of place (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Hinton, *Neural Networks for Machine Learning*, lecture 6e, 2012;
/// Graves, *Generating Sequences With Recurrent Neural Networks*, arXiv:1308.0850, 2013
/// (the centered form); https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
public final class RMSprop<Scalar: TensorScalar>: PerParameterOptimizer {
    /// RMSprop's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); torch's arithmetic with it is a float's (measured).
        public var lrTensor: TensorDType? = nil
        public var alpha: Double
        public var eps: Double
        public var weightDecay: Double
        public var momentum: Double
        public var centered: Bool
        public var maximize: Bool
        /// Informational: the multi-tensor path rounds as the for-loop path on CPU.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
            centered: Bool = false, maximize: Bool = false, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.alpha = alpha
            self.eps = eps
            self.weightDecay = weightDecay
            self.momentum = momentum
            self.centered = centered
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, alpha, eps, momentum, centered, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `square_avg`, `momentum_buffer`, `grad_avg`.
    public struct State: TorchState {
        public var step = 0.0
        public var squareAvg: [Scalar] = []
        public var momentumBuffer: [Scalar]?
        public var gradAvg: [Scalar]?
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("square_avg", \.squareAvg), .optionalTensor("momentum_buffer", \.momentumBuffer),
             .optionalTensor("grad_avg", \.gradAvg)]
        }
    }

    public static var torchName: String { "RMSprop" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/rmsprop.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.nonNegative(options.momentum, "momentum value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.nonNegative(options.alpha, "alpha value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] {
        ["step", "square_avg"] + (options.momentum > 0 ? ["momentum_buffer"] : []) + (options.centered ? ["grad_avg"] : [])
    }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        var state = State()
        state.squareAvg = zeros(like: parameter)
        state.momentumBuffer = options.momentum > 0 ? state.squareAvg : nil
        state.gradAvg = options.centered ? state.squareAvg : nil
        return state
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (alpha, oneMinusAlpha, eps) = (Scalar(o.alpha), Scalar(1 - o.alpha), Scalar(o.eps))
        let (momentum, negativeLR, fma) = (Scalar(o.momentum), Scalar(-o.lr), p.fma)
        for i in p.indices {
            let g = p.gradient(at: i, maximize: o.maximize, weightDecay: o.weightDecay)       // -grad if maximize; grad.add(param, alpha=wd)
            let v = p.state.squareAvg[i] * alpha                                               // square_avg.mul_(alpha)
            p.state.squareAvg[i] = TorchOps.fusedMultiplyAdd(oneMinusAlpha * g, g, v, fma)     //   .addcmul_(grad, grad, value=1 - alpha)
            var avg: Scalar
            if o.centered, var gradAvg = p.state.gradAvg?[i] {
                gradAvg = TorchOps.lerp(gradAvg, g, oneMinusAlpha, fused: fma)                 // grad_avg.lerp_(grad, 1 - alpha)
                p.state.gradAvg?[i] = gradAvg
                avg = p.sqrt(TorchOps.fusedMultiplyAdd(-gradAvg, gradAvg, p.state.squareAvg[i], fma))  // addcmul(.., value=-1).sqrt_()
            } else {
                avg = p.sqrt(p.state.squareAvg[i])                                           // square_avg.sqrt()
            }
            avg = avg + eps                                                                   // avg.add_(eps)
            if o.momentum > 0, let buffer = p.state.momentumBuffer?[i] {
                let b = buffer * momentum + g / avg                                           // buf.mul_(momentum).addcdiv_(grad, avg)
                p.state.momentumBuffer?[i] = b
                p.value[i] = TorchOps.fusedMultiplyAdd(b, negativeLR, p.value[i], fma)         // param.add_(buf, alpha=-lr)
            } else {
                p.value[i] = p.value[i] + negativeLR * g / avg                                // param.addcdiv_(grad, avg, value=-lr)
            }
        }
    }
}
