/// Element operations of torch's CPU kernels, rounded as torch rounds them.
///
/// Every optimizer's loop is written with these, so a multiply-add is fused exactly where
/// torch's compiled kernel fuses it: `lerp`, `addcmul`, and `add(alpha:)` use FMA on AVX2
/// and AVX-512 (`aten/src/ATen/native/cpu/Lerp.h`, `PointwiseOpsKernel.cpp`,
/// `BinaryOpsKernel.cpp`), never on the `DEFAULT` capability.
public enum TorchOps {
    /// torch's `lerp(self, end, weight)`: `self + w·(end − self)` for `|w| < 0.5`, else
    /// `end − (end − self)·(1 − w)`, each multiply-add fused where the kernel fuses it.
    @inline(__always)
    public static func lerp<Scalar: TensorScalar>(_ start: Scalar, _ end: Scalar, _ weight: Scalar, fused: Bool) -> Scalar {
        let difference = end - start
        if weight.magnitude < 0.5 {
            return fused ? Scalar.fma(weight, difference, start) : start + weight * difference
        }
        let coefficient = weight - 1
        return fused ? Scalar.fma(coefficient, difference, end) : end + coefficient * difference
    }

    /// `a·b + c`: one rounding where the kernel was compiled with FMA, two where not.
    @inline(__always)
    public static func fusedMultiplyAdd<Scalar: TensorScalar>(_ a: Scalar, _ b: Scalar, _ c: Scalar, _ fused: Bool) -> Scalar {
        fused ? Scalar.fma(a, b, c) : c + a * b
    }

    /// `torch.maximum`: the larger value, NaN if either is NaN.
    @inline(__always)
    public static func maximum<Scalar: TensorScalar>(_ a: Scalar, _ b: Scalar) -> Scalar {
        if a.isNaN || b.isNaN { return .nan }
        return a < b ? b : a
    }

    /// `clamp(min:)` (`clamp_min`): `x` if NaN, else the larger of `x` and `low`.
    @inline(__always)
    public static func clampMin<Scalar: TensorScalar>(_ x: Scalar, _ low: Scalar) -> Scalar {
        x.isNaN || x >= low ? x : low
    }
}
