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
/// (`pow` of a 0-dim tensor is glibc's `powf`; for `α = 0.5` torch takes its vectorised
/// `sqrt`, which is not correctly rounded: `η` is then 1 float32 ULP off at some steps).
/// Otherwise bit-exact in float32 and float64 on the bundled goldens.
///
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected.
///
/// References: Polyak & Juditsky, *Acceleration of Stochastic Approximation by Averaging*,
/// SIAM J. Control Optim. 30(4), 1992; https://pytorch.org/docs/stable/generated/torch.optim.ASGD.html
public final class ASGD<Scalar: TensorScalar>: Optimizer {
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
        /// Rejected when true.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, lambd: Double = 1e-4, alpha: Double = 0.75, t0: Double = 1e6, weightDecay: Double = 0,
            maximize: Bool = false, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.lambd = lambd
            self.alpha = alpha
            self.t0 = t0
            self.weightDecay = weightDecay
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, lambd, alpha, t0, maximize, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `eta`, `mu`, `ax`.
    public struct State: ParameterState {
        public var step: Double
        /// The step size `η`, a float32 value as torch's 0-dim tensor holds it.
        public var eta: Double
        /// The averaging weight `μ`, a float32 value.
        public var mu: Double
        public var ax: [Scalar]
        public let shape: [Int]

        static var keys: [String] { ["step", "eta", "mu", "ax"] }

        init(_ parameter: Parameter<Scalar>, lr: Double) {
            shape = parameter.shape
            step = 0
            eta = Double(Float(lr))  // torch.as_tensor(lr, dtype=float32)
            mu = 1
            ax = zeros(like: parameter)
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["step": .scalar(step), "eta": .scalar(eta), "mu": .scalar(mu), "ax": .tensor(shape: shape, values: ax)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            let entries = try TorchStateEntries(torchState, shape: parameterShape, optimizer: "ASGD", keys: Self.keys)
            step = try entries.number("step")
            eta = try entries.number("eta")
            mu = try entries.number("mu")
            ax = try entries.tensor("ax")
            shape = parameterShape
        }
    }

    public static var torchName: String { "ASGD" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: whether they use FMA.
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
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, lambd: Double = Options().lambd,
        alpha: Double = Options().alpha, t0: Double = Options().t0, weightDecay: Double = Options().weightDecay,
        maximize: Bool = Options().maximize, foreach: Bool? = nil
    ) throws {
        let options = Options(
            lr: lr, lambd: lambd, alpha: alpha, t0: t0, weightDecay: weightDecay, maximize: maximize, foreach: foreach)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/asgd.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.lambd, "lambd value")
        try TorchCheck.nonNegative(options.alpha, "alpha value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try rejectNonCPUPaths(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let fma = cpuCapability.hasFMA
        let multiTensor = o.foreach == true
        let (decay, lambd) = (Scalar(o.weightDecay), Scalar(o.lambd))
        forEachParameterWithGradient(in: group, newState: { State($0, lr: o.lr) }) { parameter, grad, state in
            state.step = torchStepIncrement(state.step)
            let (shrink, negativeEta, eta, mu) = (Scalar(1 - o.lambd * state.eta), Scalar(-state.eta), Scalar(state.eta), Scalar(state.mu))
            for i in 0..<parameter.count {
                var g = o.maximize ? -grad[i] : grad[i]
                var p = parameter.value[i]
                if multiTensor {
                    if o.weightDecay != 0 { g = TorchOps.fusedMultiplyAdd(p, decay, g, fma) }  // _foreach_add(grads, params, alpha=wd)
                    let intermediate = TorchOps.fusedMultiplyAdd(p, lambd, g, fma)         // _foreach_add(.., params, alpha=lambd)
                    p = TorchOps.fusedMultiplyAdd(-intermediate, eta, p, fma)              // _foreach_addcmul_(params, int., etas, value=-1)
                    state.ax[i] = TorchOps.fusedMultiplyAdd(p - state.ax[i], mu, state.ax[i], fma)  // _foreach_addcmul_(axs, p - ax, mus)
                } else {
                    if o.weightDecay != 0 { g = TorchOps.fusedMultiplyAdd(p, decay, g, fma) }  // grad.add(param, alpha=wd)
                    p = p * shrink                                                         // param.mul_(1 - lambd * eta)
                    p = TorchOps.fusedMultiplyAdd(g, negativeEta, p, fma)                  // param.add_(grad, alpha=-eta)
                    state.ax[i] = state.mu != 1 ? state.ax[i] + (p - state.ax[i]) * mu : p  // ax.add_(param.sub(ax).mul_(mu))
                }
                parameter.value[i] = p
            }
            let step = state.step
            if multiTensor {
                state.eta = Self.float32Eta(o, step: step)
            } else {
                state.eta = Double(Float(o.lr / Foundation.pow(1 + o.lambd * o.lr * step, o.alpha)))
            }
            state.mu = Double(Float(1 / Swift.max(1, step - o.t0)))                       // 1 / max(1, step - t0)
        }
    }

    /// `_multi_tensor_asgd`'s `lr / ((1 + lambd * lr * step) ** alpha)` with `step` a float32
    /// tensor: every operation is a float32 tensor op, and `float / tensor` is
    /// `tensor.reciprocal() * float`.
    static func float32Eta(_ o: Options, step: Double) -> Double {
        let base = Float(o.lambd * o.lr) * Float(step) + 1
        let power = o.alpha == 0.5 ? base.squareRoot() : Foundation.pow(base, Float(o.alpha))  // pow(tensor, 0.5) is torch's sqrt
        return Double((1 / power) * Float(o.lr))
    }
}

extension ASGD: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
