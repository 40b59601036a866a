import Foundation

/// Adam, and with `decoupledWeightDecay` AdamW: torch's `torch.optim.Adam`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, betas `β₁, β₂`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// θ ← θ − γλθ                              if decoupled (AdamW)
/// g ← g + λθ                               else if λ ≠ 0 (L2)
/// m ← lerp(m, g, 1 − β₁)                   = β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v)                            if amsgrad (then v̂ replaces v below)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// Defaults: `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`
/// (AdamW: `1e-2`), `amsgrad = false`, `maximize = false`.
/// State: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
///
/// Numerics: a group with `fused = true` reproduces torch's fused CPU kernel bit for bit
/// for the ``cpuCapability`` it ran with; other groups follow the for-loop path
/// (`_single_tensor_adam`) operation by operation, with FMAs where that capability's
/// kernels have them. See `AdamKernel` and `docs/numerics.md`. ``parallelism`` splits each
/// tensor across threads without changing a bit.
///
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected.
/// Every group is validated, not only the defaults.
///
/// References: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015;
/// Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019;
/// Reddi et al., *On the Convergence of Adam and Beyond*, ICLR 2018;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
public final class Adam<Scalar: TensorScalar>: Optimizer {
    /// Adam's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var betas: Betas
        public var eps: Double
        public var weightDecay: Double
        public var amsgrad: Bool
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// Informational: such a group is replayed with the for-loop path's arithmetic; the
        /// multi-tensor path's own rounding has no golden yet.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// Rejected when true: the differentiable path computes in another order.
        public var differentiable = false
        /// AdamW's decay (`θ ← θ(1 − γλ)`) instead of L2 (`g ← g + λθ`).
        public var decoupledWeightDecay: Bool

        public init(
            lr: Double = 1e-3, betas: Betas = Betas(0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
            amsgrad: Bool = false, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil,
            decoupledWeightDecay: Bool = false
        ) {
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
            self.decoupledWeightDecay = decoupledWeightDecay
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, betas, eps, amsgrad, maximize, fused, foreach, capturable, differentiable
            case weightDecay = "weight_decay"
            case decoupledWeightDecay = "decoupled_weight_decay"
        }
    }

    /// A parameter's state: torch's `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`.
    public struct State: ParameterState {
        public var step: Double
        public var expAvg: [Scalar]
        public var expAvgSq: [Scalar]
        public var maxExpAvgSq: [Scalar]?

        /// The parameter's shape, which the tensors share.
        public let shape: [Int]

        /// The state before the first step: zeros, `step = 0`.
        init(shape: [Int], amsgrad: Bool) {
            self.shape = shape
            step = 0
            expAvg = [Scalar](repeating: 0, count: shape.reduce(1, *))
            expAvgSq = expAvg
            maxExpAvgSq = amsgrad ? expAvg : nil
        }

        public var torchState: [String: StateValue<Scalar>] {
            var entries: [String: StateValue<Scalar>] = [
                "step": .scalar(step),
                "exp_avg": .tensor(shape: shape, values: expAvg),
                "exp_avg_sq": .tensor(shape: shape, values: expAvgSq),
            ]
            if let maxExpAvgSq { entries["max_exp_avg_sq"] = .tensor(shape: shape, values: maxExpAvgSq) }
            return entries
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            for key in torchState.keys where !["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"].contains(key) {
                throw OptimizerError(.keyError, "Adam keeps no state '\(key)'")
            }
            step = try torchState.required("step").number("step")
            expAvg = try torchState.required("exp_avg").tensor("exp_avg", shape: parameterShape)
            expAvgSq = try torchState.required("exp_avg_sq").tensor("exp_avg_sq", shape: parameterShape)
            maxExpAvgSq = try torchState["max_exp_avg_sq"]?.tensor("max_exp_avg_sq", shape: parameterShape)
            shape = parameterShape
        }
    }

    public class var torchName: String { "Adam" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability whose kernels are reproduced: it fixes the fused kernel's SIMD
    /// width and whether torch's kernels use FMA.
    public var cpuCapability: TorchCPUCapability
    /// How each tensor's element loop is split across threads; the result is the same.
    public var parallelism = Parallelism.serial

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
        eps: Double = Options().eps, weightDecay: Double = Options().weightDecay, amsgrad: Bool = Options().amsgrad,
        maximize: Bool = Options().maximize, fused: Bool? = nil,
        decoupledWeightDecay: Bool = Options().decoupledWeightDecay
    ) throws {
        let options = Options(
            lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize, fused: fused,
            decoupledWeightDecay: decoupledWeightDecay)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/adam.py`).
    public static func validate(_ options: Options) throws {
        guard 0.0 <= options.lr else { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
        guard 0.0 <= options.eps else { throw OptimizerError(.valueError, "Invalid epsilon value: \(pythonRepr(options.eps))") }
        guard 0.0 <= options.betas.beta1, options.betas.beta1 < 1.0 else {
            throw OptimizerError(.valueError, "Invalid beta parameter at index 0: \(pythonRepr(options.betas.beta1))")
        }
        guard 0.0 <= options.betas.beta2, options.betas.beta2 < 1.0 else {
            throw OptimizerError(.valueError, "Invalid beta parameter at index 1: \(pythonRepr(options.betas.beta2))")
        }
        guard 0.0 <= options.weightDecay else {
            throw OptimizerError(.valueError, "Invalid weight_decay value: \(pythonRepr(options.weightDecay))")
        }
        if options.fused == true {
            if options.differentiable { throw OptimizerError(.runtimeError, "`fused` does not support `differentiable`") }
            if options.foreach == true {
                throw OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.")
            }
        }
        if options.capturable || options.differentiable {
            throw OptimizerError(
                .runtimeError, "Lockstep reproduces torch's CPU paths only: capturable=True and differentiable=True are not supported")
        }
    }

    public static func stateKeys(for options: Options) -> [String] {
        ["step", "exp_avg", "exp_avg_sq"] + (options.amsgrad ? ["max_exp_avg_sq"] : [])
    }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let options = group.options
        let path: AdamKernel.Path = options.fused == true ? .fused(cpuCapability) : .forLoop(cpuCapability)
        for parameter in group.params {
            guard let grad = parameter.grad else { continue }
            if parameter.sparseGradMask != nil {
                throw OptimizerError(.runtimeError, "Adam does not support sparse gradients, please consider SparseAdam instead")
            }
            withState(of: parameter) { state in
                var current = state ?? State(shape: parameter.shape, amsgrad: options.amsgrad)
                state = nil  // release the stored copy so the arrays are updated in place
                current.step += 1
                AdamKernel.step(
                    param: &parameter.value, grad: grad, state: &current, options: options, path: path,
                    parallelism: parallelism)
                state = current
            }
        }
    }
}

