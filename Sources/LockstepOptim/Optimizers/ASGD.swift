import Foundation

/// ASGD, averaged stochastic gradient descent: torch's `torch.optim.ASGD`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, decay term `λ` (`lambd`), power
/// `α`, averaging start `t₀`, weight decay `w`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + wθ                               if w ≠ 0
/// θ ← θ(1 − λη) − ηg
/// ā ← ā + μ(θ − ā)  if μ ≠ 1,  else  ā ← θ
/// η ← γ / (1 + λγt)^α
/// μ ← 1 / max(1, t − t₀)
/// ```
///
/// Defaults: `lr = 1e-2`, `lambd = 1e-4`, `alpha = 0.75`, `t0 = 1e6`, `weight_decay = 0`,
/// `maximize = false`. State: `step`, `eta` (`η`, starts at `γ`), `mu` (`μ`, starts at 1),
/// `ax` (`ā`); `step`, `eta` and `mu` are 0-dim float32 tensors.
///
/// Numerics: `_single_tensor_asgd`: `η` is read back as a Python float (`.item()`), so
/// `1 − λη` and `−η` are Python floats rounded once to `Scalar` for `mul_` and `add_`
/// (`alpha`, an FMA on AVX2/AVX-512); the new `η` and `μ` are Python floats stored in
/// float32. With `foreach = true`, `_multi_tensor_asgd`, which computes another formula:
/// `θ ← θ − η(g + wθ + λθ)` (two or three `add` with `alpha`, then `addcmul` with the float32
/// tensor `η`), `ā ← ā + (θ − ā)·μ` always (one FMA, even when `μ = 1`), and the new `η` in
/// float32 tensor ops: `(float32(λγ)·t + 1)^α`, its reciprocal, times `float32(γ)`
/// (`pow` of a 0-dim tensor is glibc's `powf`; for `α = 0.5` torch takes its tensor `sqrt`,
/// ``TorchSqrt``). Bit-exact in float32 and float64 on the bundled goldens.
///
/// `differentiable = true` computes as the for-loop path: `_single_tensor_asgd` has no
/// branch of its own for it (checked bit for bit against the optim_db goldens).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Polyak & Juditsky, *Acceleration of Stochastic Approximation by Averaging*,
/// SIAM J. Control Optim. 30(4), 1992; https://pytorch.org/docs/stable/generated/torch.optim.ASGD.html
public final class ASGD<Scalar: TensorScalar>: PerParameterOptimizer {
    /// ASGD's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var lambd: Double
        public var alpha: Double
        public var t0: Double
        public var weightDecay: Double
        public var maximize: Bool
        /// `true` follows the multi-tensor path's formula (`_multi_tensor_asgd`).
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, lambd: Double = 1e-4, alpha: Double = 0.75, t0: Double = 1e6, weightDecay: Double = 0,
            maximize: Bool = false, foreach: Bool? = nil
        ) {
            (self.lr, self.lambd, self.alpha, self.t0) = (lr, lambd, alpha, t0)
            (self.weightDecay, self.maximize, self.foreach) = (weightDecay, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, lambd, alpha, t0, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `eta` (`η`), `mu` (`μ`), `ax` (`ā`).
    public struct State: TorchState {
        public var step = 0.0
        /// The step size `η`, a float32 value as torch's 0-dim tensor holds it.
        public var eta = 0.0
        /// The averaging weight `μ`, a float32 value.
        public var mu = 0.0
        public var ax: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .number("eta", \.eta), .number("mu", \.mu), .tensor("ax", \.ax)]
        }
    }

    public static var torchName: String { "ASGD" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/asgd.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.lambd, "lambd value")
        try TorchCheck.nonNegative(options.alpha, "alpha value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        var state = State.zeros(parameterShape: parameter.shape)
        state.eta = Double(Float(options.lr))  // torch.as_tensor(lr, dtype=float32); mu: torch.ones(())
        state.mu = 1
        return state
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (multiTensor, fma) = (o.foreach == true, p.fma)
        let (decay, lambd) = (Scalar(o.weightDecay), Scalar(o.lambd))
        let (shrink, negativeEta, eta, mu) = (Scalar(1 - o.lambd * p.state.eta), Scalar(-p.state.eta), Scalar(p.state.eta), Scalar(p.state.mu))
        for i in p.indices {
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            var x = p.value[i]
            if multiTensor {
                if o.weightDecay != 0 { g = TorchOps.fusedMultiplyAdd(x, decay, g, fma) }  // _foreach_add(grads, params, alpha=wd)
                let intermediate = TorchOps.fusedMultiplyAdd(x, lambd, g, fma)         // _foreach_add(.., params, alpha=lambd)
                x = TorchOps.fusedMultiplyAdd(-intermediate, eta, x, fma)              // _foreach_addcmul_(params, int., etas, value=-1)
                p.state.ax[i] = TorchOps.fusedMultiplyAdd(x - p.state.ax[i], mu, p.state.ax[i], fma)  // _foreach_addcmul_(axs, p - ax, mus)
            } else {
                if o.weightDecay != 0 { g = TorchOps.fusedMultiplyAdd(x, decay, g, fma) }  // grad.add(param, alpha=wd)
                x = x * shrink                                                         // param.mul_(1 - lambd * eta)
                x = TorchOps.fusedMultiplyAdd(g, negativeEta, x, fma)                  // param.add_(grad, alpha=-eta)
                p.state.ax[i] = p.state.mu != 1 ? p.state.ax[i] + (x - p.state.ax[i]) * mu : x  // ax.add_(param.sub(ax).mul_(mu))
            }
            p.value[i] = x
        }
        if multiTensor {
            p.state.eta = Self.float32Eta(o, step: p.step, sqrt: p.tensorSqrt)
        } else {
            p.state.eta = Double(Float(o.lr / Foundation.pow(1 + o.lambd * o.lr * p.step, o.alpha)))
        }
        p.state.mu = Double(Float(1 / Swift.max(1, p.step - o.t0)))                     // 1 / max(1, step - t0)
    }

    /// `_multi_tensor_asgd`'s `lr / ((1 + lambd * lr * step) ** alpha)` with `step` a float32
    /// tensor: every operation is a float32 tensor op, and `float / tensor` is
    /// `tensor.reciprocal() * float`.
    static func float32Eta(_ o: Options, step: Double, sqrt: TorchSqrt) -> Double {
        let base = Float(o.lambd * o.lr) * Float(step) + 1
        let power = o.alpha == 0.5 ? sqrt(base) : Foundation.pow(base, Float(o.alpha))  // pow(tensor, 0.5) is torch's sqrt
        return Double((1 / power) * Float(o.lr))
    }
}
