import CLockstepKernels

/// How the reference host's torch computed a tensor `sqrt` on the CPU (`t.sqrt()`,
/// `torch._foreach_sqrt`, `sqrt_`, a 0-dim tensor's `sqrt()`).
///
/// torch's fused kernels and Python's `math.sqrt` are always correctly rounded; a tensor
/// `sqrt` outside them calls MKL's `vsSqrt`/`vdSqrt` on x86-64 builds of torch, which is
/// not: on AMD CPUs MKL runs a generic SSE2 kernel seeded by the CPU's `rsqrtps` estimate,
/// about 15 % of float32 results one ULP from the correctly rounded root. A fixture's
/// fingerprint (extension 17 of the format) says which implementation recorded it; a
/// replay reproduces it. docs/numerics/torch-sqrt.md has the rule and how it was measured.
public enum TorchSqrt: String, Sendable, Equatable, CaseIterable, Codable {
    /// IEEE 754's correctly rounded square root: what a host without MKL computes, and the
    /// fallback for a fingerprint Lockstep does not know.
    case correctlyRounded = "correctly-rounded"
    /// MKL 2024's generic `vsSqrt` kernel seeded by AMD Zen 4's `rsqrtps` (a table measured
    /// by `tools/sqrt/measure`), exact over all 2^32 float32 inputs. float64 is correctly
    /// rounded here: MKL's float64 kernel (1–2 % of results one ULP off) is not reproduced.
    case mklZen4 = "mkl-zen4"

    /// torch's `sqrt` of one element of a `Scalar` tensor, as this implementation computes it.
    @inline(__always)
    public func callAsFunction<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
        guard Scalar.self == Float.self, self != .correctlyRounded else { return x.squareRoot() }
        return unsafeBitCast(lockstep_torch_sqrtf(kernelValue, unsafeBitCast(x, to: Float.self)), to: Scalar.self)
    }

    /// The C kernels' name for it.
    public var kernelValue: lockstep_sqrt {
        switch self {
        case .correctlyRounded: LOCKSTEP_SQRT_CORRECTLY_ROUNDED
        case .mklZen4: LOCKSTEP_SQRT_MKL_ZEN4
        }
    }

    /// Whether float32 and float64 roots are reproduced exactly for a `Scalar` tensor: false
    /// for float64 under MKL (correctly rounded instead).
    public func isExact<Scalar: TensorScalar>(for _: Scalar.Type) -> Bool {
        self == .correctlyRounded || Scalar.self == Float.self
    }
}
