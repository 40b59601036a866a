/// The instruction set torch's CPU kernels were dispatched to
/// (`torch.backends.cpu.get_cpu_capability()`), which fixes the SIMD width of fused kernels.
///
/// torch's fused CPU optimizers process each tensor in SIMD blocks of the vector width and
/// finish with a scalar tail; the two parts round differently (see `AdamKernel`). To
/// reproduce a fused trajectory bit for bit, an optimizer needs the capability it ran with.
public enum TorchCPUCapability: String, Sendable, Equatable, CaseIterable, Codable {
    /// No SIMD extension: `Vectorized<T>` is 32 bytes processed by scalar loops, no FMA.
    case `default` = "DEFAULT"
    /// AVX2 with FMA: 256-bit vectors.
    case avx2 = "AVX2"
    /// AVX-512: 512-bit vectors.
    case avx512 = "AVX512"

    /// Elements of `Scalar` per SIMD block.
    public func vectorWidth<Scalar: TensorScalar>(for _: Scalar.Type) -> Int {
        let bytes = self == .avx512 ? 64 : 32
        return bytes / (Scalar.significandBitCount > 23 ? 8 : 4)
    }

    /// Elements of `Scalar` in the scalar epilogue's unit: GCC auto-vectorises the fused
    /// kernels' scalar tail loop with 256-bit vectors on both AVX2 and AVX-512, so only the
    /// last `count % span` elements run as true scalar code (8 `Float`s or 4 `Double`s).
    public func scalarEpilogueSpan<Scalar: TensorScalar>(for _: Scalar.Type) -> Int {
        32 / (Scalar.significandBitCount > 23 ? 8 : 4)
    }

    /// Whether the compiled kernels have hardware fused multiply-add.
    public var hasFMA: Bool { self != .default }
}
