import RealModule

/// The element types optimizers run in: `Float` (torch.float32) and `Double` (torch.float64).
///
/// Scalar coefficients (`lr / bias_correction1`, ...) are computed in `Double`, as torch
/// computes them in Python floats, and rounded to the tensor's type where a kernel uses them.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {}

extension Float: TensorScalar {}

extension Double: TensorScalar {}

extension TensorScalar {
    /// `a·b + c` with one rounding, as a fused multiply-add instruction computes it.
    @inline(__always)
    public static func fma(_ a: Self, _ b: Self, _ c: Self) -> Self { c.addingProduct(a, b) }
}
