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
        case forLoop
        case fused(TorchCPUCapability)
    }

    /// One step of one parameter. `state.step` is already incremented.
    static func step<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options: Adam<Scalar>.Options, path: Path
    ) {
        switch path {
        case .forLoop: forLoop(param: &param, grad: grad, state: &state, options: options)
        case .fused(let capability): fused(param: &param, grad: grad, state: &state, options: options, capability: capability)
        }
    }

    // MARK: for-loop path

    private static func forLoop<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options o: Adam<Scalar>.Options
    ) {
        let (beta1, beta2, lr, wd) = (o.betas.beta1, o.betas.beta2, o.lr, o.weightDecay)
        let step = state.step
        // Python floats: `bias_correction2 ** 0.5` is pow, not sqrt.
        let biasCorrection1 = 1 - Foundation.pow(beta1, step)
        let biasCorrection2 = 1 - Foundation.pow(beta2, step)
        let stepSize = lr / biasCorrection1
        let biasCorrection2Sqrt = Foundation.pow(biasCorrection2, 0.5)

        let decay = Scalar(1 - lr * wd)
        let l2 = Scalar(wd)
        let lerpWeight = Scalar(1 - beta1)
        let b2 = Scalar(beta2)
        let oneMinusB2 = Scalar(1 - beta2)
        let bc2Sqrt = Scalar(biasCorrection2Sqrt)
        let eps = Scalar(o.eps)
        let negStepSize = Scalar(-stepSize)
        let decoupled = o.decoupledWeightDecay
        let amsgrad = state.maxExpAvgSq != nil
        var maxStorage = state.maxExpAvgSq ?? []
        state.maxExpAvgSq = nil  // keep one reference, so the buffer is updated in place

        param.withUnsafeMutableBufferPointer { p in
        state.expAvg.withUnsafeMutableBufferPointer { m in
        state.expAvgSq.withUnsafeMutableBufferPointer { v in
        maxStorage.withUnsafeMutableBufferPointer { vmax in
            for i in 0..<p.count {
                var g = o.maximize ? -grad[i] : grad[i]
                if wd != 0 {
                    if decoupled {
                        p[i] = p[i] * decay                              // param.mul_(1 - lr * wd)
                    } else {
                        g = Scalar.fma(p[i], l2, g)                      // grad.add(param, alpha=wd)
                    }
                }
                m[i] = lerp(m[i], g, lerpWeight, fused: true)           // exp_avg.lerp_(grad, 1 - beta1)
                v[i] = v[i] * b2                                         // exp_avg_sq.mul_(beta2)
                v[i] = Scalar.fma(oneMinusB2 * g, g, v[i])               //   .addcmul_(grad, grad, value=1 - beta2)
                var second = v[i]
                if amsgrad {
                    vmax[i] = maximum(vmax[i], v[i])                     // torch.maximum(max_exp_avg_sq, exp_avg_sq)
                    second = vmax[i]
                }
                let denom = second.squareRoot() / bc2Sqrt + eps          // (v.sqrt() / bc2_sqrt).add_(eps)
                p[i] = p[i] + negStepSize * m[i] / denom                 // param.addcdiv_(m, denom, value=-step_size)
            }
        }
        }
        }
        }
        if amsgrad { state.maxExpAvgSq = maxStorage }
    }

    // MARK: fused path

    private static func fused<Scalar: TensorScalar>(
        param: inout [Scalar], grad: [Scalar], state: inout Adam<Scalar>.State, options o: Adam<Scalar>.Options,
        capability: TorchCPUCapability
    ) {
        let (beta1, beta2, lr, wd) = (o.betas.beta1, o.betas.beta2, o.lr, o.weightDecay)
        // `double step = state_step.item<float>()`: the step counter is a float32 tensor.
        let step = Double(Float(state.step))
        let biasCorrection1 = 1 - Foundation.pow(beta1, step)
        let biasCorrection2 = 1 - Foundation.pow(beta2, step)
        let stepSize = lr / biasCorrection1
        let biasCorrection2Sqrt = biasCorrection2.squareRoot()

        let decay = Scalar(1 - lr * wd)
        let l2 = Scalar(wd)
        let lerpWeight = Scalar(1 - beta1)
        let b2 = Scalar(beta2)
        let oneMinusB2 = Scalar(1 - beta2)
        let bc2Sqrt = Scalar(biasCorrection2Sqrt)
        let eps = Scalar(o.eps)
        let scaledStep = Scalar(stepSize)
        let hasFMA = capability.hasFMA
        let decoupled = o.decoupledWeightDecay

        let count = param.count
        let width = capability.vectorWidth(for: Scalar.self)
        // SIMD body: explicit `Vectorized` ops, whose `maximum` propagates NaN.
        let bodyEnd = count - count % width
        // Before the scalar epilogue: where `v` takes the body's contraction.
        let span = capability.scalarEpilogueSpan(for: Scalar.self)
        let epilogueStart = count - count % span
        let amsgrad = state.maxExpAvgSq != nil
        var maxStorage = state.maxExpAvgSq ?? []
        state.maxExpAvgSq = nil  // keep one reference, so the buffer is updated in place
        param.withUnsafeMutableBufferPointer { p in
        state.expAvg.withUnsafeMutableBufferPointer { m in
        state.expAvgSq.withUnsafeMutableBufferPointer { v in
        maxStorage.withUnsafeMutableBufferPointer { vmax in
            for i in 0..<count {
                let body = i < bodyEnd
                var g = o.maximize ? -grad[i] : grad[i]
                var theta = p[i]
                if wd != 0 {
                    if decoupled {
                        theta = theta * decay
                    } else {
                        g = hasFMA ? Scalar.fma(theta, l2, g) : g + theta * l2
                    }
                }
                m[i] = lerp(m[i], g, lerpWeight, fused: hasFMA)
                let scaledGrad = oneMinusB2 * g
                if !hasFMA {
                    v[i] = v[i] * b2 + scaledGrad * g                    // v·β₂ + (c₂·g)·g, each rounded
                } else if i < epilogueStart {
                    v[i] = Scalar.fma(scaledGrad, g, v[i] * b2)          // SIMD body, vectorised tail
                } else {
                    v[i] = Scalar.fma(v[i], b2, scaledGrad * g)          // scalar epilogue
                }
                var second = v[i]
                if amsgrad {
                    // SIMD `maximum` propagates NaN; the tail's `std::max(a, b)` is `a < b ? b : a`.
                    vmax[i] = body ? maximum(vmax[i], v[i]) : (vmax[i] < v[i] ? v[i] : vmax[i])
                    second = vmax[i]
                }
                let denom = second.squareRoot() / bc2Sqrt + eps
                p[i] = body ? theta + (-scaledStep) * m[i] / denom : theta - scaledStep * m[i] / denom
            }
        }
        }
        }
        }
        if amsgrad { state.maxExpAvgSq = maxStorage }
    }

    // MARK: Shared element operations

    /// torch's `lerp(self, end, weight)`: `self + w·(end − self)` for `|w| < 0.5`, else
    /// `end − (end − self)·(1 − w)`, each multiply-add fused where the kernel fuses it.
    @inline(__always)
    static func lerp<Scalar: TensorScalar>(_ start: Scalar, _ end: Scalar, _ weight: Scalar, fused: Bool) -> Scalar {
        let difference = end - start
        if weight.magnitude < 0.5 {
            return fused ? Scalar.fma(weight, difference, start) : start + weight * difference
        }
        let coefficient = weight - 1
        return fused ? Scalar.fma(coefficient, difference, end) : end + coefficient * difference
    }

    /// `torch.maximum`: the larger value, NaN if either is NaN.
    @inline(__always)
    static func maximum<Scalar: TensorScalar>(_ a: Scalar, _ b: Scalar) -> Scalar {
        if a.isNaN || b.isNaN { return .nan }
        return a < b ? b : a
    }
}
