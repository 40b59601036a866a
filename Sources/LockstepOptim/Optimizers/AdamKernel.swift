import CLockstepKernels
import Foundation

/// The element loops of Adam and AdamW, in the operation order of torch's CPU paths.
///
/// Three paths round differently, and each is reproduced as torch computes it:
///
/// - **for-loop** (`_single_tensor_adam`, `torch/optim/adam.py`): one tensor op after the
///   other: `mul_`, `lerp_`, `mul_`, `addcmul_`, `sqrt`, `div`, `add_`, `addcdiv_`. Each op
///   rounds to the tensor's dtype. `lerp_` and `addcmul_` use fused multiply-adds on
///   AVX2/AVX-512 (`aten/src/ATen/native/cpu/Lerp.h`, `PointwiseOpsKernel.cpp`).
///   torch takes `sqrt` of a tensor from a vectorised library whose result is not always
///   correctly rounded, so this path agrees within a few ULPs, not bit for bit.
/// - **fused** (`aten/src/ATen/native/cpu/FusedAdamKernel.cpp`): one pass per element.
///   The tensor is walked in SIMD blocks of the vector width (16 `Float`s on AVX-512, 8 on
///   AVX2) and finishes with a scalar tail loop, which GCC itself vectorises with 256-bit
///   vectors, leaving a true scalar epilogue for the last `count % 8` `Float`s
///   (`count % 4` `Double`s). GCC contracts `v·β₂ + (c₂·g)·g` differently there: the SIMD
///   body and the vectorised tail compute `fma(c₂·g, g, v·β₂)`, the scalar epilogue
///   `fma(v, β₂, (c₂·g)·g)`. The `DEFAULT` capability has no FMA at all. Found by experiment
///   against torch 2.15 and its disassembly; this path is bit-exact.
/// - **differentiable** (`differentiable=True`, the `capturable or differentiable` branch
///   of `_single_tensor_adam`): the for-loop path's element ops up to `v`, then
///   `denom = (√v / (√bc₂ · (−step_size))).add_(ε / (−step_size))` and
///   `param.addcdiv_(m, denom)`, where the bias corrections and step size are float32 0-dim
///   tensors computed from the float32 `step` tensor (``Coefficients/init(differentiable:step:)``).
///   The element loop is the for-loop path's with `D = √bc₂·(−step_size)` in place of
///   `√bc₂`, `E = ε/(−step_size)` in place of `ε`, and a step of 1.
///
/// Scalar coefficients are computed in `Double` (Python floats in the for-loop path, C++
/// doubles in the fused kernel) and rounded to the tensor's type where the kernel uses them;
/// the differentiable path computes them in `Float`, as torch's 0-dim float32 tensors do.
///
/// All three are one element function: the for-loop path's ops round exactly as the fused
/// kernel's SIMD body does, and differ only in `bias_correction2 ** 0.5`; the
/// differentiable path differs only in its coefficients. The loop over a
/// tensor runs in `CLockstepKernels`, compiled for the CPU's instruction set (``KernelISA``),
/// and may be split across threads: the fused regions are positions in the whole tensor,
/// never in a chunk.
struct AdamKernel<Scalar: TensorScalar>: ElementKernel {
    let param: UnsafeMutablePointer<Scalar>
    let grad: UnsafePointer<Scalar>
    /// `exp_avg` and `exp_avg_sq`.
    let m, v: UnsafeMutablePointer<Scalar>
    /// `max_exp_avg_sq`, with amsgrad only.
    let vmax: UnsafeMutablePointer<Scalar>?
    let k: Coefficients
    let f: Flags
    /// Where the fused kernel's regions begin (see the type's documentation); the for-loop
    /// path computes every element as the SIMD body does (both are `count`).
    let bodyEnd, epilogueStart: Int

    /// One step of one parameter, Adam's and AdamW's `apply`: `p.step` is already
    /// incremented. A group with `fused = true` takes the fused kernel's path.
    static func apply(_ p: inout ParameterStep<Scalar, Adam<Scalar>.State>, options o: Adam<Scalar>.Options) {
        guard let pointers = p.elementPointers else { return }
        let (count, capability, parallelism) = (p.count, p.cpuCapability, p.parallelism)
        let fused = o.fused == true
        let k = o.differentiable
            ? Coefficients(differentiable: o, step: p.step, sqrt: p.tensorSqrt)
            : Coefficients(o, step: p.step, pythonPow: !fused)
        // The fused kernel's `sqrt` is correctly rounded; the other paths take torch's tensor `sqrt`.
        let f = Flags(o, fma: capability.hasFMA, sqrt: fused ? .correctlyRounded : p.tensorSqrt)
        var (bodyEnd, epilogueStart) = (count, count)
        if fused {
            bodyEnd = count - count % capability.vectorWidth(for: Scalar.self)
            epilogueStart = capability.hasFMA ? count - count % capability.scalarEpilogueSpan(for: Scalar.self) : count
        }
        p.state.expAvg.withUnsafeMutableBufferPointer { m in
            p.state.expAvgSq.withUnsafeMutableBufferPointer { v in
                p.state.maxExpAvgSq.withUnsafeMutableElements { vmax in
                    let kernel = AdamKernel(
                        param: pointers.param, grad: pointers.grad, m: m.baseAddress!, v: v.baseAddress!, vmax: vmax, k: k,
                        f: f, bodyEnd: bodyEnd, epilogueStart: epilogueStart)
                    kernel.run(count: count, parallelism)
                }
            }
        }
    }

    /// The scalar coefficients of one step: computed in `Double` as torch computes them,
    /// then rounded once to `Scalar` where the kernel uses them.
    struct Coefficients {
        let decay, l2, lerpWeight, beta2, oneMinusBeta2, biasCorrection2Sqrt, eps, negativeStepSize: Scalar

        /// - Parameter pythonPow: the for-loop path takes `bias_correction2 ** 0.5` (Python's
        ///   pow); the fused kernel `std::sqrt`. They can differ in the last bit.
        init(_ o: Adam<Scalar>.Options, step: Double, pythonPow: Bool) {
            let (beta1, beta2, lr, wd) = (o.betas.beta1, o.betas.beta2, o.lr, o.weightDecay)
            // The step counter is a float32 tensor on both paths (`state_step.item()`).
            let step = Double(Float(step))
            let biasCorrection1 = 1 - Foundation.pow(beta1, step)
            let biasCorrection2 = 1 - Foundation.pow(beta2, step)
            let stepSize = lr / biasCorrection1
            decay = Scalar(1 - lr * wd)
            l2 = Scalar(wd)
            lerpWeight = Scalar(1 - beta1)
            self.beta2 = Scalar(beta2)
            oneMinusBeta2 = Scalar(1 - beta2)
            biasCorrection2Sqrt = Scalar(pythonPow ? Foundation.pow(biasCorrection2, 0.5) : biasCorrection2.squareRoot())
            eps = Scalar(o.eps)
            negativeStepSize = Scalar(-stepSize)
        }

        /// The coefficients of the `capturable or differentiable` branch of
        /// `_single_tensor_adam`, which takes `step` as the float32 tensor it is: every bias
        /// correction is a 0-dim float32 tensor, each op rounded to float32 (Python floats
        /// are rounded to float32 where they meet it):
        ///
        /// ```
        /// bc₁ ← 1 − powf(β₁, t)            bias_correction1 = 1 - beta1**step
        /// bc₂ ← 1 − powf(β₂, t)            bias_correction2 = 1 - beta2**step
        /// s ← (1 / bc₁) · γ                step_size = lr / bias_correction1  (Tensor.__rtruediv__: reciprocal() * lr)
        /// D ← √bc₂ · (−s)                  bias_correction2_sqrt * step_size_neg
        /// E ← (1 / (−s)) · ε               eps / step_size_neg
        /// ```
        ///
        /// The element loop then computes `denom = √v / D + E` and `θ + m / denom`
        /// (`param.addcdiv_(exp_avg, denom)`, value 1), with `D` and `E` widened exactly to
        /// `Scalar` (a 0-dim tensor does not promote a float64 parameter). `√bc₂` is a float32
        /// tensor `sqrt`, which torch takes from MKL (1 ULP off for about 15 % of inputs): it
        /// is `sqrt`'s, so this path is bit-exact in float64 too where the fingerprint is known.
        init(differentiable o: Adam<Scalar>.Options, step: Double, sqrt: TorchSqrt) {
            let (lr, wd) = (o.lr, o.weightDecay)
            let t = Float(step)
            let biasCorrection1 = 1 - Foundation.pow(Float(o.betas.beta1), t)  // std::pow(float, float) on the 0-dim tensors
            let biasCorrection2 = 1 - Foundation.pow(Float(o.betas.beta2), t)
            let stepSizeNegative = -((1 / biasCorrection1) * Float(lr))
            let divisor = sqrt(biasCorrection2) * stepSizeNegative
            let epsTerm = (1 / stepSizeNegative) * Float(o.eps)
            decay = Scalar(1 - lr * wd)
            l2 = Scalar(wd)
            lerpWeight = Scalar(1 - o.betas.beta1)
            beta2 = Scalar(o.betas.beta2)
            oneMinusBeta2 = Scalar(1 - o.betas.beta2)
            biasCorrection2Sqrt = Scalar(Double(divisor))
            eps = Scalar(Double(epsTerm))
            negativeStepSize = 1  // addcdiv_ without value: 1 · m / denom is m / denom, exactly
        }
    }

    /// The options that choose operations, fixed for a whole loop.
    struct Flags {
        let maximize: Bool
        /// `θ·(1 − γλ)` (AdamW with `λ ≠ 0`).
        let decoupledDecay: Bool
        /// `g + λθ` (Adam with `λ ≠ 0`).
        let l2: Bool
        /// Whether torch's kernels were built with FMA (not for `DEFAULT`).
        let fma: Bool
        /// `√v̂`: correctly rounded in the fused kernel, torch's tensor `sqrt` elsewhere.
        let sqrt: TorchSqrt
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func elements(_ range: Range<Int>) { alignedLoops(range) }

    /// Elements `range`, in torch's operation order: `lockstep_adam_f32`/`_f64` in
    /// `CLockstepKernels` (`kernels.h`, `adam_element`), compiled for the CPU's instruction
    /// set. Element `i`:
    ///
    /// ```
    /// g ← −g if maximize;  θ ← θ·(1 − γλ) (decoupled)  or  g ← fma(θ, λ, g) (L2)
    /// m ← lerp(m, g, 1 − β₁)                                  exp_avg.lerp_(grad, 1 - beta1)
    /// v ← fma(c₂·g, g, v·β₂)   (DEFAULT: v·β₂ + (c₂·g)·g;     exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=c₂)
    ///                           fused epilogue: fma(v, β₂, (c₂·g)·g))
    /// v̂ ← max(v̂, v)            (amsgrad: NaN-propagating in the SIMD body, `a < b ? b : a` in the tail)
    /// θ ← θ + (−step_size·m) / (√v̂ / √(1 − β₂ᵗ) + ε)          param.addcdiv_(m, denom, value=-step_size)
    /// ```
    @inline(__always)
    func loop(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        var flags = lockstep_adam_flags(
            maximize: f.maximize, decoupled_decay: f.decoupledDecay, l2: f.l2, fma: f.fma, sqrt: f.sqrt.kernelValue,
            body_end: Int64(bodyEnd), epilogue_start: Int64(epilogueStart))
        let (start, end) = (Int64(range.lowerBound), Int64(range.upperBound))
        if Scalar.self == Float.self {
            var c = lockstep_adam_coefficients_f32(
                decay: Float(k.decay), l2: Float(k.l2), lerp_weight: Float(k.lerpWeight), beta2: Float(k.beta2),
                one_minus_beta2: Float(k.oneMinusBeta2), bias_correction2_sqrt: Float(k.biasCorrection2Sqrt),
                eps: Float(k.eps), negative_step_size: Float(k.negativeStepSize))
            lockstep_adam_f32(
                param.cast(), grad.cast(), m.cast(), v.cast(), vmax.map { $0.cast() }, &c, &flags, start, end)
        } else {
            var c = lockstep_adam_coefficients_f64(
                decay: Double(k.decay), l2: Double(k.l2), lerp_weight: Double(k.lerpWeight), beta2: Double(k.beta2),
                one_minus_beta2: Double(k.oneMinusBeta2), bias_correction2_sqrt: Double(k.biasCorrection2Sqrt),
                eps: Double(k.eps), negative_step_size: Double(k.negativeStepSize))
            lockstep_adam_f64(
                param.cast(), grad.cast(), m.cast(), v.cast(), vmax.map { $0.cast() }, &c, &flags, start, end)
        }
    }
}

extension AdamKernel.Flags {
    init(_ o: Adam<Scalar>.Options, fma: Bool, sqrt: TorchSqrt) {
        self.init(
            maximize: o.maximize, decoupledDecay: o.weightDecay != 0 && o.decoupledWeightDecay,
            l2: o.weightDecay != 0 && !o.decoupledWeightDecay, fma: fma, sqrt: sqrt)
    }
}
