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
enum AdamKernel {
    enum Path: Equatable {
        case forLoop(TorchCPUCapability)
        case fused(TorchCPUCapability)
    }

    /// One step of one parameter, its element loop split as `parallelism` says.
    /// `state.step` is already incremented.
    static func step<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options o: Adam<Scalar>.Options,
        path: Path, parallelism: Parallelism = .serial
    ) {
        let count = param.count
        guard count > 0 else { return }  // an empty array may have no buffer address
        let k: Coefficients<Scalar>
        let flags: Flags
        // Where the fused kernel's regions begin (see the type's documentation); the
        // for-loop path computes every element as the SIMD body does.
        let (bodyEnd, epilogueStart): (Int, Int)
        switch path {
        case .forLoop(let capability):
            k = Coefficients(o, step: state.step, pythonPow: true)
            flags = Flags(o, fma: capability.hasFMA)
            (bodyEnd, epilogueStart) = (count, count)
        case .fused(let capability):
            k = Coefficients(o, step: state.step, pythonPow: false)
            flags = Flags(o, fma: capability.hasFMA)
            bodyEnd = count - count % capability.vectorWidth(for: Scalar.self)
            epilogueStart = capability.hasFMA ? count - count % capability.scalarEpilogueSpan(for: Scalar.self) : count
        }
        withBuffers(&param, grad, &state) { buffers in
            parallelism.forEachChunk(count: count) { range in
                elements(buffers, range, k, flags, bodyEnd: bodyEnd, epilogueStart: epilogueStart)
            }
        }
    }

    /// The scalar coefficients of one step: computed in `Double` as torch computes them,
    /// then rounded once to `Scalar` where the kernel uses them.
    struct Coefficients<Scalar: TensorScalar> {
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

        init<Scalar>(_ o: Adam<Scalar>.Options, fma: Bool) {
            self.init(
                maximize: o.maximize, decoupledDecay: o.weightDecay != 0 && o.decoupledWeightDecay,
                l2: o.weightDecay != 0 && !o.decoupledWeightDecay, fma: fma)
        }

        init(maximize: Bool, decoupledDecay: Bool, l2: Bool, fma: Bool) {
            self.maximize = maximize
            self.decoupledDecay = decoupledDecay
            self.l2 = l2
            self.fma = fma
        }
    }

    /// The element buffers of one parameter and its state; `vmax` only with amsgrad.
    struct Buffers<Scalar>: @unchecked Sendable {
        let p, m, v: UnsafeMutablePointer<Scalar>
        let g: UnsafePointer<Scalar>
        let vmax: UnsafeMutablePointer<Scalar>?
    }

    /// Runs `body` on the element buffers of one parameter and its state, updated in place.
    private static func withBuffers<Scalar: TensorScalar>(
        _ param: inout [Scalar], _ grad: [Scalar], _ state: inout Adam<Scalar>.State, _ body: (Buffers<Scalar>) -> Void
    ) {
        let amsgrad = state.maxExpAvgSq != nil
        var maxStorage = state.maxExpAvgSq ?? []
        state.maxExpAvgSq = nil  // keep one reference, so the buffer is updated in place
        param.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeBufferPointer { g in
                state.expAvg.withUnsafeMutableBufferPointer { m in
                    state.expAvgSq.withUnsafeMutableBufferPointer { v in
                        maxStorage.withUnsafeMutableBufferPointer { vmax in
                            body(Buffers(
                                p: p.baseAddress!, m: m.baseAddress!, v: v.baseAddress!, g: g.baseAddress!,
                                vmax: amsgrad ? vmax.baseAddress : nil))
                        }
                    }
                }
            }
        }
        if amsgrad { state.maxExpAvgSq = maxStorage }
    }

    /// The elements `range` of one step. Below `bodyEnd` (the fused kernel's SIMD body; the
    /// whole tensor on the for-loop path) a branch-free loop the compiler vectorises; the
    /// fused kernel's tail, with its own rounding, element by element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func elements<Scalar: TensorScalar>(
        _ b: Buffers<Scalar>, _ range: Range<Int>, _ k: Coefficients<Scalar>, _ f: Flags, bodyEnd: Int, epilogueStart: Int
    ) {
        let aligned = firstAlignedIndex(b.p, in: range)
        loops(b, range.lowerBound..<aligned, k, f, bodyEnd: bodyEnd, epilogueStart: epilogueStart)
        loops(b, aligned..<range.upperBound, k, f, bodyEnd: bodyEnd, epilogueStart: epilogueStart)
    }

    @inline(__always)
    private static func loops<Scalar: TensorScalar>(
        _ b: Buffers<Scalar>, _ range: Range<Int>, _ k: Coefficients<Scalar>, _ f: Flags, bodyEnd: Int, epilogueStart: Int
    ) {
        let body = range.clamped(to: range.lowerBound..<max(range.lowerBound, bodyEnd))
        if b.vmax == nil, f.fma, !f.maximize {
            // The usual configurations, with constant flags: the loop computes only what
            // they need instead of every alternative and a select.
            let (decoupled, l2) = (f.decoupledDecay, f.l2)
            if decoupled {
                let f = Flags(maximize: false, decoupledDecay: true, l2: false, fma: true)
                for i in body { element(i, b, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            } else if l2 {
                let f = Flags(maximize: false, decoupledDecay: false, l2: true, fma: true)
                for i in body { element(i, b, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            } else {
                let f = Flags(maximize: false, decoupledDecay: false, l2: false, fma: true)
                for i in body { element(i, b, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
            }
        } else if b.vmax == nil {
            for i in body { element(i, b, k, f, epilogue: false, simdMaximum: true, amsgrad: false) }
        } else {
            for i in body { element(i, b, k, f, epilogue: false, simdMaximum: true, amsgrad: true) }
        }
        for i in body.upperBound..<range.upperBound {
            element(i, b, k, f, epilogue: f.fma && i >= epilogueStart, simdMaximum: false, amsgrad: b.vmax != nil)
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
    private static func element<Scalar: TensorScalar>(
        _ i: Int, _ b: Buffers<Scalar>, _ k: Coefficients<Scalar>, _ f: Flags, epilogue: Bool, simdMaximum: Bool,
        amsgrad: Bool
    ) {
        // Every operand is loaded first, so the flags choose between values, not memory
        // accesses, and the loop vectorises without masked loads.
        let (loaded, p, mPrevious, vPrevious) = (b.g[i], b.p[i], b.m[i], b.v[i])
        var g = f.maximize ? -loaded : loaded
        var theta = p
        if f.decoupledDecay {
            theta = theta * k.decay                                      // param.mul_(1 - lr * wd)
        } else if f.l2 {
            g = TorchOps.fusedMultiplyAdd(theta, k.l2, g, f.fma)         // grad.add(param, alpha=wd)
        }
        let m = TorchOps.lerp(mPrevious, g, k.lerpWeight, fused: f.fma) // exp_avg.lerp_(grad, 1 - beta1)
        let scaledGrad = k.oneMinusBeta2 * g
        let v: Scalar
        if !f.fma {
            v = vPrevious * k.beta2 + scaledGrad * g                     // v·β₂ + (c₂·g)·g, each rounded
        } else if !epilogue {
            v = Scalar.fma(scaledGrad, g, vPrevious * k.beta2)           // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=c₂)
        } else {
            v = Scalar.fma(vPrevious, k.beta2, scaledGrad * g)           // fused: scalar epilogue
        }
        b.m[i] = m
        b.v[i] = v
        var second = v
        if amsgrad {
            // Unwrapped without a check, so the load is unconditional: `amsgrad` is true
            // only where `elements` found the buffer.
            let vmax = b.vmax.unsafelyUnwrapped
            let previous = vmax[i]
            second = simdMaximum ? TorchOps.maximum(previous, v) : (previous < v ? v : previous)
            vmax[i] = second                                             // torch.maximum(max_exp_avg_sq, exp_avg_sq)
        }
        let denom = second.squareRoot() / k.biasCorrection2Sqrt + k.eps  // (v.sqrt() / bc2_sqrt).add_(eps)
        b.p[i] = theta + k.negativeStepSize * m / denom                  // param.addcdiv_(m, denom, value=-step_size)
    }
}
