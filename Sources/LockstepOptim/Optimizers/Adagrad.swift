import CLockstepKernels
import Foundation

/// Adagrad: torch's `torch.optim.Adagrad`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, learning-rate decay `η`, weight
/// decay `λ`, and the running sum of squared gradients `s`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// γ̃ ← γ / (1 + (t − 1)η)
/// s ← s + g²
/// θ ← θ − γ̃ · g / (√s + ε)
/// ```
///
/// Defaults: `lr = 1e-2`, `lr_decay = 0`, `weight_decay = 0`,
/// `initial_accumulator_value = 0`, `eps = 1e-10`, `maximize = false`.
/// State: `step` (a float32 tensor in torch, so `t` is rounded to `Float`) and `sum`. As in
/// torch, the constructor gives every parameter of its groups state at once (`step = 0`,
/// `sum` filled with `initial_accumulator_value`), before any gradient; a group added later
/// gets it at a parameter's first step. Both take the value from ``defaults`` (torch's
/// `self.defaults`), whatever the group says.
///
/// Numerics: the for-loop (`_single_tensor_adagrad`), foreach (`_multi_tensor_adagrad`:
/// `−γ̃·g` first, then `addcdiv` with value 1, the same rounding) and fused
/// (`torch._fused_adagrad_`, `aten/src/ATen/native/cpu/FusedAdagradKernel.cpp`) paths
/// compute the same rounded operations: `fma(θ, λ, g)`, `fma(g, g, s)`, `√s + ε`,
/// `θ − (γ̃·g)/(√s + ε)`, with FMA except on `DEFAULT`. The fused kernel takes a correctly
/// rounded square root in every region, as Lockstep does, and computes `1 + (t − 1)η` with
/// one FMA (the others in Python, with two roundings): fused groups are bit-exact. The
/// for-loop and foreach paths take `sqrt` from MKL, which is off by one ULP for some inputs;
/// they agree within tolerance. See `docs/numerics-fused.md`.
///
/// `differentiable = true` computes as the for-loop path: torch's branch only takes
/// `state_sum.sqrt() + eps` out of place (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; sparse gradients
/// (which torch's for-loop and foreach paths take without weight decay), complex ones and
/// a tensor `lr` are not supported. Every group is validated.
///
/// References: Duchi, Hazan & Singer, *Adaptive Subgradient Methods for Online Learning
/// and Stochastic Optimization*, JMLR 12, 2011;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
public final class Adagrad<Scalar: TensorScalar>: PerParameterOptimizer {
    /// Adagrad's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); `clr` is then a tensor division in its dtype (not on the fused path).
        public var lrTensor: TensorDType? = nil
        public var lrDecay: Double
        public var weightDecay: Double
        /// The value `sum` starts from; torch takes it from the optimizer's defaults only.
        public var initialAccumulatorValue: Double
        public var eps: Double
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// The multi-tensor path: on CPU it rounds as the for-loop path.
        public var foreach: Bool?
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0, initialAccumulatorValue: Double = 0,
            eps: Double = 1e-10, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.lrDecay = lrDecay
            self.weightDecay = weightDecay
            self.initialAccumulatorValue = initialAccumulatorValue
            self.eps = eps
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, eps, maximize, fused, foreach, differentiable
            case lrDecay = "lr_decay"
            case weightDecay = "weight_decay"
            case initialAccumulatorValue = "initial_accumulator_value"
        }
    }

    /// A parameter's state: torch's `step` (a float32 tensor) and `sum`.
    public struct State: TorchState {
        public var step = 0.0
        public var sum: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] { [.step(\.step), .tensor("sum", \.sum)] }
    }

    public static var torchName: String { "Adagrad" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/adagrad.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        try TorchCheck.nonNegative(options.lrDecay, "lr_decay value")
        try TorchCheck.nonNegative(options.weightDecay, "weight_decay value")
        try TorchCheck.nonNegative(options.initialAccumulatorValue, "initial_accumulator_value value")
        try TorchCheck.nonNegative(options.eps, "epsilon value")
        try TorchCheck.implementationFlags(fused: options.fused, foreach: options.foreach, differentiable: options.differentiable)
    }

    /// torch's fused path refuses sparse gradients, and so do the others with weight decay
    /// (torch has counted the parameter's step when it raises; here nothing changes). The
    /// for-loop and foreach paths take them otherwise, on a path Lockstep does not reproduce.
    public static func sparseGradients(_ options: Options) -> SparseGradients {
        if options.fused == true { return .rejected(message: "`fused` does not support sparse grad or complex param") }
        if options.weightDecay != 0 {
            return .rejected(message: "weight_decay option is not compatible with sparse gradients")
        }
        return .unsupported(message: "Adagrad: Lockstep does not reproduce torch's sparse-gradient path")
    }

    /// Every parameter of the first groups gets its state here, as torch's constructor
    /// gives it.
    public func didAddInitialGroups() throws {
        for parameter in parameters {
            let state = initialState(for: parameter, options: defaults)
            withState(of: parameter) { $0 = state }
        }
    }

    /// `step = 0` and `sum` filled with the defaults' `initial_accumulator_value` (torch's
    /// `self.defaults`), whatever the group says.
    public func initialState(for parameter: Parameter<Scalar>, options _: Options) -> State {
        var state = State()
        state.sum = [Scalar](repeating: Scalar(defaults.initialAccumulatorValue), count: parameter.count)
        return state
    }

    /// One parameter's step: `_single_tensor_adagrad`'s ops, each rounded to `Scalar`, split
    /// across threads as ``parallelism`` says. A fused group decays the learning rate as
    /// torch's fused kernel does, in C++, where the compiler fuses `1 + (t − 1)η` into one
    /// FMA (not on `DEFAULT`).
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        // `step` is a float32 tensor; the learning rate is decayed in Double.
        let step = Double(Float(p.step))
        let fma = p.fma
        let decay = o.fused == true ? TorchOps.fusedMultiplyAdd(step - 1, o.lrDecay, 1, fma) : 1 + (step - 1) * o.lrDecay
        // clr = lr / decay: a tensor division in a tensor lr's dtype, except on the fused
        // path, whose kernel takes the lr's value.
        let clr = (o.fused == true ? TorchNumber(o.lr) : o.learningRate) / decay
        let k = Coefficients(
            negativeLR: Scalar(-clr.value), weightDecay: Scalar(o.weightDecay), eps: Scalar(o.eps),
            maximize: o.maximize, decays: o.weightDecay != 0, fma: fma,
            sqrt: o.fused == true ? .correctlyRounded : p.tensorSqrt)  // the fused kernel's `sqrt` is correctly rounded
        guard let pointers = p.elementPointers else { return }
        let (count, parallelism) = (p.count, p.parallelism)
        p.state.sum.withUnsafeMutableBufferPointer { sum in
            let kernel = Kernel(param: pointers.param, grad: pointers.grad, sum: sum.baseAddress!, k: k)
            kernel.run(count: count, parallelism)
        }
    }

    /// The coefficients and options of one step, fixed for a whole loop.
    struct Coefficients {
        let negativeLR, weightDecay, eps: Scalar
        let maximize, decays, fma: Bool
        /// `√s`: torch's tensor `sqrt` on the for-loop and foreach paths.
        let sqrt: TorchSqrt
    }

    /// The element loop of one parameter and its `sum`.
    struct Kernel: ElementKernel {
        let param: UnsafeMutablePointer<Scalar>
        let grad: UnsafePointer<Scalar>
        let sum: UnsafeMutablePointer<Scalar>
        let k: Coefficients

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func elements(_ range: Range<Int>) { alignedLoops(range) }

        /// Elements `range`, in `_single_tensor_adagrad`'s order: `lockstep_adagrad_f32`/`_f64`
        /// in `CLockstepKernels` (`kernels.h`, `adagrad_element`), compiled for the CPU's
        /// instruction set. Element `i`:
        ///
        /// ```
        /// g ← −g if maximize;  g ← fma(θ, λ, g)       grad.add(param, alpha=wd)
        /// s ← fma(g, g, s)                            state_sum.addcmul_(grad, grad, value=1)
        /// θ ← θ + (−clr·g) / (√s + ε)                 param.addcdiv_(grad, state_sum.sqrt().add_(eps), value=-clr)
        /// ```
        ///
        /// Each `fma` is two roundings on `DEFAULT`.
        @inline(__always)
        func loop(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            var flags = lockstep_adagrad_flags(maximize: k.maximize, decays: k.decays, fma: k.fma, sqrt: k.sqrt.kernelValue)
            let (start, end) = (Int64(range.lowerBound), Int64(range.upperBound))
            if Scalar.self == Float.self {
                var c = lockstep_adagrad_coefficients_f32(
                    negative_lr: Float(k.negativeLR), weight_decay: Float(k.weightDecay), eps: Float(k.eps))
                lockstep_adagrad_f32(param.cast(), grad.cast(), sum.cast(), &c, &flags, start, end)
            } else {
                var c = lockstep_adagrad_coefficients_f64(
                    negative_lr: Double(k.negativeLR), weight_decay: Double(k.weightDecay), eps: Double(k.eps))
                lockstep_adagrad_f64(param.cast(), grad.cast(), sum.cast(), &c, &flags, start, end)
            }
        }
    }
}
