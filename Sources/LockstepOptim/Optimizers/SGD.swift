import CLockstepKernels

/// Stochastic gradient descent, optionally with (Nesterov) momentum: torch's `torch.optim.SGD`.
///
/// With gradient `g`, parameters `θ`, learning rate `γ`, momentum `μ`, dampening `τ`,
/// weight decay `λ`:
///
/// ```
/// g ← −g                                   if maximize
/// g ← g + λθ                               if λ ≠ 0
/// b ← g                                    if μ ≠ 0, at the parameter's first step
/// b ← μb + (1 − τ)g                        if μ ≠ 0, later
/// g ← g + μb                               if nesterov, else g ← b   (if μ ≠ 0)
/// θ ← θ − γg
/// ```
///
/// Defaults: `lr = 1e-3`, `momentum = 0`, `dampening = 0`, `weight_decay = 0`,
/// `nesterov = false`, `maximize = false`. State: `momentum_buffer`, only with `μ ≠ 0`
/// (without momentum a parameter has no state at all, as in torch).
///
/// Numerics: bit-exact on every CPU path. The for-loop (`_single_tensor_sgd`) and foreach
/// (`_multi_tensor_sgd`, which on CPU runs the same per-tensor kernels) paths are `add` with
/// `alpha` (one FMA on AVX2/AVX-512) and one `mul_`; no square root. A group with
/// `fused = true` reproduces `torch._fused_sgd_`
/// (`aten/src/ATen/native/cpu/FusedSGDKernel.cpp`): the same arithmetic, except that GCC
/// contracts `μb + (1 − τ)g` the other way round in the true scalar epilogue (the last
/// `count % 8` `Float`s, `count % 4` `Double`s): `fma(b, μ, g·(1 − τ))` there,
/// `fma(g, 1 − τ, b·μ)` elsewhere. The `DEFAULT` capability has no FMA.
/// See `docs/numerics-fused.md`.
///
/// `differentiable = true` computes as the for-loop path: `_single_tensor_sgd` has no
/// branch of its own for it (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; sparse gradients
/// (which torch's for-loop and foreach paths take) and a tensor `lr` are not supported.
/// Every group is validated, not only the defaults.
///
/// References: Robbins & Monro, *A Stochastic Approximation Method*, 1951; Sutskever,
/// Martens, Dahl & Hinton, *On the importance of initialization and momentum in deep
/// learning*, ICML 2013; https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
public final class SGD<Scalar: TensorScalar>: PerParameterOptimizer {
    /// SGD's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); torch turns it into a number (`alpha=-lr`), so the arithmetic is a float's.
        public var lrTensor: TensorDType? = nil
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool
        /// Run torch's fused CPU kernel (`fused=True`) rather than the for-loop path.
        public var fused: Bool?
        /// The multi-tensor path: on CPU the same per-tensor kernels as the for-loop path.
        public var foreach: Bool?
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
            nesterov: Bool = false, maximize: Bool = false, fused: Bool? = nil, foreach: Bool? = nil
        ) {
            self.lr = lr
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
            self.fused = fused
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, momentum, dampening, nesterov, maximize, fused, foreach, differentiable
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: torch's `momentum_buffer`, with momentum only. Without momentum
    /// a parameter has no state (``stateKeys(for:)`` is empty, and the driver keeps none).
    public struct State: TorchState {
        public var momentumBuffer: [Scalar]?
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] { [.optionalTensor("momentum_buffer", \.momentumBuffer)] }
    }

    public static var torchName: String { "SGD" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/sgd.py`).
    ///
    /// torch writes these as `x < 0.0`, not `not 0.0 <= x`: NaN passes, as it does here.
    public static func validate(_ options: Options) throws {
        if options.lr < 0.0 { throw OptimizerError(.valueError, "Invalid learning rate: \(pythonRepr(options.lr))") }
        if options.momentum < 0.0 {
            throw OptimizerError(.valueError, "Invalid momentum value: \(pythonRepr(options.momentum))")
        }
        if options.weightDecay < 0.0 {
            throw OptimizerError(.valueError, "Invalid weight_decay value: \(pythonRepr(options.weightDecay))")
        }
        if options.nesterov && (options.momentum <= 0 || options.dampening != 0) {
            throw OptimizerError(.valueError, "Nesterov momentum requires a momentum and zero dampening")
        }
        try TorchCheck.implementationFlags(fused: options.fused, foreach: options.foreach, differentiable: options.differentiable)
    }

    /// torch's fused path refuses sparse gradients; its for-loop and foreach paths take
    /// them, on a path Lockstep does not reproduce.
    public static func sparseGradients(_ options: Options) -> SparseGradients {
        if options.fused == true { return .rejected(message: "`_fused_sgd` does not support sparse gradients") }
        return .unsupported(message: "SGD: Lockstep does not reproduce torch's sparse-gradient path")
    }

    public static func stateKeys(for options: Options) -> [String] { options.momentum != 0 ? ["momentum_buffer"] : [] }

    /// The fused kernel starts every buffer of a group at once (`is_first_step`); torch
    /// fails when only some are missing, before it changes anything.
    public func prepare(_ group: ParamGroup<Options, Scalar>, updating parameters: [Parameter<Scalar>]) throws {
        guard group.options.fused == true, group.options.momentum != 0 else { return }
        let missing = parameters.map { parameter in withState(of: parameter) { $0?.momentumBuffer == nil } }
        if missing.contains(false), let index = missing.firstIndex(of: true) {
            throw OptimizerError(.typeError, "expected Tensor as element \(index) in argument 2, but got NoneType")
        }
    }

    /// One parameter's step, split across threads as ``parallelism`` says.
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (count, parallelism, capability) = (p.count, p.parallelism, p.cpuCapability)
        let momentum = o.momentum != 0
        // The parameter's first step with momentum: `buf = grad.clone()`, written by the loop.
        let startsBuffer = momentum && p.state.momentumBuffer == nil
        if startsBuffer { p.state.momentumBuffer = [Scalar](repeating: 0, count: count) }
        guard let pointers = p.elementPointers else { return }
        // Where the fused kernel's scalar epilogue begins; the for-loop path has none.
        let fusedEpilogue = o.fused == true && capability.hasFMA
        let epilogueStart = fusedEpilogue ? count - count % capability.scalarEpilogueSpan(for: Scalar.self) : count
        let (k, f) = (Coefficients(o), Flags(o, startsBuffer: startsBuffer, fma: capability.hasFMA))
        p.state.momentumBuffer.withUnsafeMutableElements { buffer in
            let kernel = Kernel(
                param: pointers.param, grad: pointers.grad, buffer: momentum ? buffer : nil, k: k, f: f,
                epilogueStart: epilogueStart)
            kernel.run(count: count, parallelism)
        }
    }

    /// The scalar coefficients, rounded to `Scalar` as the kernels take them.
    struct Coefficients {
        let weightDecay, momentum, dampened, negativeLR: Scalar

        init(_ o: Options) {
            weightDecay = Scalar(o.weightDecay)
            momentum = Scalar(o.momentum)
            dampened = Scalar(1 - o.dampening)
            negativeLR = Scalar(-o.lr)
        }
    }

    /// The options that choose operations, fixed for a whole loop.
    struct Flags {
        let maximize, weightDecay, nesterov: Bool
        /// The parameter's first step with momentum: `buf = grad.clone()`.
        let startsBuffer: Bool
        /// Whether torch's kernels were built with FMA (not for `DEFAULT`).
        let fma: Bool
    }

    /// The element loop of one parameter; `buffer` (`momentum_buffer`) only with momentum.
    struct Kernel: ElementKernel {
        let param: UnsafeMutablePointer<Scalar>
        let grad: UnsafePointer<Scalar>
        let buffer: UnsafeMutablePointer<Scalar>?
        let k: Coefficients
        let f: Flags
        let epilogueStart: Int

        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        func elements(_ range: Range<Int>) { alignedLoops(range) }

        /// Elements `range`, in `_single_tensor_sgd`'s order: `lockstep_sgd_f32`/`_f64` in
        /// `CLockstepKernels` (`kernels.h`, `sgd_element`), compiled for the CPU's
        /// instruction set. Element `i`:
        ///
        /// ```
        /// g ← −g if maximize;  g ← fma(θ, λ, g)                    grad.add(param, alpha=wd)
        /// b ← g (first step)  or  fma(g, 1 − τ, b·μ)               buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        ///     (fused kernel's scalar epilogue: fma(b, μ, g·(1 − τ)))
        /// g ← fma(b, μ, g) (nesterov)  or  b                       grad.add(buf, alpha=momentum)
        /// θ ← fma(g, −γ, θ)                                        param.add_(grad, alpha=-lr)
        /// ```
        ///
        /// Each `fma` is two roundings on `DEFAULT`.
        @inline(__always)
        func loop(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            var flags = lockstep_sgd_flags(
                maximize: f.maximize, weight_decay: f.weightDecay, nesterov: f.nesterov, starts_buffer: f.startsBuffer,
                fma: f.fma, epilogue_start: Int64(epilogueStart))
            let (start, end) = (Int64(range.lowerBound), Int64(range.upperBound))
            if Scalar.self == Float.self {
                var c = lockstep_sgd_coefficients_f32(
                    weight_decay: Float(k.weightDecay), momentum: Float(k.momentum), dampened: Float(k.dampened),
                    negative_lr: Float(k.negativeLR))
                lockstep_sgd_f32(param.cast(), grad.cast(), buffer.map { $0.cast() }, &c, &flags, start, end)
            } else {
                var c = lockstep_sgd_coefficients_f64(
                    weight_decay: Double(k.weightDecay), momentum: Double(k.momentum), dampened: Double(k.dampened),
                    negative_lr: Double(k.negativeLR))
                lockstep_sgd_f64(param.cast(), grad.cast(), buffer.map { $0.cast() }, &c, &flags, start, end)
            }
        }
    }
}

extension SGD.Flags {
    init(_ o: SGD<Scalar>.Options, startsBuffer: Bool, fma: Bool) {
        self.init(
            maximize: o.maximize, weightDecay: o.weightDecay != 0, nesterov: o.nesterov, startsBuffer: startsBuffer,
            fma: fma)
    }
}
