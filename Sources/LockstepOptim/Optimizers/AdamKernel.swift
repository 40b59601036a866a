import Foundation

/// The element loops of Adam and AdamW, in the operation order of torch's CPU paths.
///
/// Two paths round differently, and each is reproduced as torch computes it:
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
///
/// Scalar coefficients are computed in `Double` (Python floats in the for-loop path, C++
/// doubles in the fused kernel) and rounded to the tensor's type where the kernel uses them.
///
/// Both paths are one element function: the for-loop path's ops round exactly as the fused
/// kernel's SIMD body does, and differ only in `bias_correction2 ** 0.5`. The loop over a
/// tensor is written for the compiler to vectorise (docs/performance.md), and may be split
/// across threads: the fused regions are positions in the whole tensor, never in a chunk.
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
        let k = Coefficients(o, step: p.step, pythonPow: !fused)
        let f = Flags(o, fma: capability.hasFMA)
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
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func elements(_ range: Range<Int>) { alignedLoops(range) }

    /// Below `bodyEnd` (the fused kernel's SIMD body; the whole tensor on the for-loop
    /// path) a branch-free loop the compiler vectorises; the fused kernel's tail, with its
    /// own rounding, element by element.
    @inline(__always)
    func loop(_ range: Range<Int>) {
        let (k, f) = (self.k, self.f)
        let body = range.clamped(to: range.lowerBound..<max(range.lowerBound, bodyEnd))
        if vmax == nil, f.fma, !f.maximize {
            // The usual configurations, with constant flags: the loop computes only what
            // they need instead of every alternative and a select.
            if f.decoupledDecay {
                let f = Flags(maximize: false, decoupledDecay: true, l2: false, fma: true)
                for i in body { element(i, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            } else if f.l2 {
                let f = Flags(maximize: false, decoupledDecay: false, l2: true, fma: true)
                for i in body { element(i, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            } else {
                let f = Flags(maximize: false, decoupledDecay: false, l2: false, fma: true)
                for i in body { element(i, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            }
        } else if vmax == nil {
            for i in body { element(i, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
        } else {
            for i in body { element(i, k, f, epilogue: false, simdMaximum: true, amsgrad: true) }
        }
        for i in body.upperBound..<range.upperBound {
            element(i, k, f, epilogue: f.fma && i >= epilogueStart, simdMaximum: false, amsgrad: vmax != nil)
        }
    }

    /// Element `i`, in torch's operation order.
    ///
    /// - Parameters:
    ///   - epilogue: the fused kernel's true scalar epilogue, where GCC contracts
    ///     `v·β₂ + (c₂·g)·g` as `fma(v, β₂, (c₂·g)·g)`.
    ///   - simdMaximum: amsgrad's maximum as `Vectorized::maximum` (NaN propagates) rather
    ///     than the fused tail's `std::max(a, b)`, `a < b ? b : a`.
    @inline(__always)
    private func element(_ i: Int, _ k: Coefficients, _ f: Flags, epilogue: Bool, simdMaximum: Bool, amsgrad: Bool) {
        // Every operand is loaded first, so the flags choose between values, not memory
        // accesses, and the loop vectorises without masked loads.
        let (loaded, p, mPrevious, vPrevious) = (grad[i], param[i], m[i], v[i])
        var g = f.maximize ? -loaded : loaded
        var theta = p
        if f.decoupledDecay {
            theta = theta * k.decay                                      // param.mul_(1 - lr * wd)
        } else if f.l2 {
            g = TorchOps.fusedMultiplyAdd(theta, k.l2, g, f.fma)         // grad.add(param, alpha=wd)
        }
        let mNew = TorchOps.lerp(mPrevious, g, k.lerpWeight, fused: f.fma)  // exp_avg.lerp_(grad, 1 - beta1)
        let scaledGrad = k.oneMinusBeta2 * g
        let vNew: Scalar
        if !f.fma {
            vNew = vPrevious * k.beta2 + scaledGrad * g                  // v·β₂ + (c₂·g)·g, each rounded
        } else if !epilogue {
            vNew = Scalar.fma(scaledGrad, g, vPrevious * k.beta2)        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=c₂)
        } else {
            vNew = Scalar.fma(vPrevious, k.beta2, scaledGrad * g)        // fused: scalar epilogue
        }
        m[i] = mNew
        v[i] = vNew
        var second = vNew
        if amsgrad {
            // Unwrapped without a check, so the load is unconditional: `amsgrad` is true
            // only where `loop` found the buffer.
            let vmax = vmax.unsafelyUnwrapped
            let previous = vmax[i]
            second = simdMaximum ? TorchOps.maximum(previous, vNew) : (previous < vNew ? vNew : previous)
            vmax[i] = second                                             // torch.maximum(max_exp_avg_sq, exp_avg_sq)
        }
        let denom = second.squareRoot() / k.biasCorrection2Sqrt + k.eps  // (v.sqrt() / bc2_sqrt).add_(eps)
        param[i] = theta + k.negativeStepSize * mNew / denom             // param.addcdiv_(m, denom, value=-step_size)
    }
}

extension AdamKernel.Flags {
    init(_ o: Adam<Scalar>.Options, fma: Bool) {
        self.init(
            maximize: o.maximize, decoupledDecay: o.weightDecay != 0 && o.decoupledWeightDecay,
            l2: o.weightDecay != 0 && !o.decoupledWeightDecay, fma: fma)
    }
}
