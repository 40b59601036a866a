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
enum AdamKernel {
    enum Path: Equatable {
        case forLoop(TorchCPUCapability)
        case fused(TorchCPUCapability)
    }

    /// One step of one parameter. `state.step` is already incremented.
    static func step<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options: Adam<Scalar>.Options, path: Path
    ) {
        switch path {
        case .forLoop(let capability):
            forLoop(param: &param, grad: grad, state: &state, options: options, fma: capability.hasFMA)
        case .fused(let capability): fused(param: &param, grad: grad, state: &state, options: options, capability: capability)
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

    /// Runs `body` on the element buffers of one parameter and its state, updated in place;
    /// `vmax` is empty without amsgrad.
    private static func withBuffers<Scalar: TensorScalar>(
        _ param: inout [Scalar], _ state: inout Adam<Scalar>.State,
        _ body: (_ p: UnsafeMutableBufferPointer<Scalar>, _ m: UnsafeMutableBufferPointer<Scalar>,
                 _ v: UnsafeMutableBufferPointer<Scalar>, _ vmax: UnsafeMutableBufferPointer<Scalar>) -> Void
    ) {
        let amsgrad = state.maxExpAvgSq != nil
        var maxStorage = state.maxExpAvgSq ?? []
        state.maxExpAvgSq = nil  // keep one reference, so the buffer is updated in place
        param.withUnsafeMutableBufferPointer { p in
            state.expAvg.withUnsafeMutableBufferPointer { m in
                state.expAvgSq.withUnsafeMutableBufferPointer { v in
                    maxStorage.withUnsafeMutableBufferPointer { vmax in body(p, m, v, vmax) }
                }
            }
        }
        if amsgrad { state.maxExpAvgSq = maxStorage }
    }

    // MARK: for-loop path

    /// - Parameter fma: whether torch's kernels were built with FMA (not for `DEFAULT`).
    private static func forLoop<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options o: Adam<Scalar>.Options, fma: Bool
    ) {
        let k = Coefficients(o, step: state.step, pythonPow: true)
        let (wd, decoupled, amsgrad) = (o.weightDecay, o.decoupledWeightDecay, state.maxExpAvgSq != nil)
        withBuffers(&param, &state) { p, m, v, vmax in
            for i in 0..<p.count {
                var g = o.maximize ? -grad[i] : grad[i]
                if wd != 0 {
                    if decoupled {
                        p[i] = p[i] * k.decay                            // param.mul_(1 - lr * wd)
                    } else {
                        g = TorchOps.fusedMultiplyAdd(p[i], k.l2, g, fma)         // grad.add(param, alpha=wd)
                    }
                }
                m[i] = TorchOps.lerp(m[i], g, k.lerpWeight, fused: fma)          // exp_avg.lerp_(grad, 1 - beta1)
                v[i] = v[i] * k.beta2                                    // exp_avg_sq.mul_(beta2)
                v[i] = TorchOps.fusedMultiplyAdd(k.oneMinusBeta2 * g, g, v[i], fma)  //   .addcmul_(grad, grad, value=1 - beta2)
                var second = v[i]
                if amsgrad {
                    vmax[i] = TorchOps.maximum(vmax[i], v[i])                     // torch.maximum(max_exp_avg_sq, exp_avg_sq)
                    second = vmax[i]
                }
                let denom = second.squareRoot() / k.biasCorrection2Sqrt + k.eps  // (v.sqrt() / bc2_sqrt).add_(eps)
                p[i] = p[i] + k.negativeStepSize * m[i] / denom          // param.addcdiv_(m, denom, value=-step_size)
            }
        }
    }

    // MARK: fused path

    private static func fused<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options o: Adam<Scalar>.Options,
        capability: TorchCPUCapability
    ) {
        let k = Coefficients(o, step: state.step, pythonPow: false)
        let (wd, decoupled, amsgrad, hasFMA) = (o.weightDecay, o.decoupledWeightDecay, state.maxExpAvgSq != nil, capability.hasFMA)
        let count = param.count
        // SIMD body: explicit `Vectorized` ops, whose `maximum` propagates NaN.
        let bodyEnd = count - count % capability.vectorWidth(for: Scalar.self)
        // Before the scalar epilogue: where `v` takes the body's contraction.
        let epilogueStart = count - count % capability.scalarEpilogueSpan(for: Scalar.self)
        withBuffers(&param, &state) { p, m, v, vmax in
            for i in 0..<count {
                var g = o.maximize ? -grad[i] : grad[i]
                var theta = p[i]
                if wd != 0 {
                    if decoupled {
                        theta = theta * k.decay                          // θ·(1 − γλ)
                    } else {
                        g = TorchOps.fusedMultiplyAdd(theta, k.l2, g, hasFMA)     // g + λθ
                    }
                }
                m[i] = TorchOps.lerp(m[i], g, k.lerpWeight, fused: hasFMA)       // lerp(m, g, 1 − β₁)
                let scaledGrad = k.oneMinusBeta2 * g
                if !hasFMA {
                    v[i] = v[i] * k.beta2 + scaledGrad * g               // v·β₂ + (c₂·g)·g, each rounded
                } else if i < epilogueStart {
                    v[i] = Scalar.fma(scaledGrad, g, v[i] * k.beta2)     // SIMD body, vectorised tail
                } else {
                    v[i] = Scalar.fma(v[i], k.beta2, scaledGrad * g)     // scalar epilogue
                }
                var second = v[i]
                if amsgrad {
                    // SIMD `maximum` propagates NaN; the tail's `std::max(a, b)` is `a < b ? b : a`.
                    vmax[i] = i < bodyEnd ? TorchOps.maximum(vmax[i], v[i]) : (vmax[i] < v[i] ? v[i] : vmax[i])
                    second = vmax[i]
                }
                let denom = second.squareRoot() / k.biasCorrection2Sqrt + k.eps   // √v / √(1 − β₂ᵗ) + ε
                p[i] = theta + k.negativeStepSize * m[i] / denom         // θ − (γ / (1 − β₁ᵗ))·m / denom
            }
        }
    }
}
