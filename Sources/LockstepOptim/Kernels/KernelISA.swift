import CLockstepKernels

/// The instruction set the memory-bound element loops (Adam and AdamW, SGD, Adagrad) run
/// with: chosen once at run time from the CPU, as ATen chooses its kernels, so a default
/// release build is fast without compiler flags.
///
/// The choice is for speed only and never changes a result: every variant computes each
/// element as the reproduced ``TorchCPUCapability`` says (its multiply-adds fused or not,
/// its fused kernel's regions), so a fixture replays to the same bits on any of them.
/// `LOCKSTEP_KERNEL_ISA=baseline|avx2|avx512` forces one, as `ATEN_CPU_CAPABILITY` does for
/// torch (an instruction set the CPU lacks falls back to the best it has).
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The target's baseline: SSE2 on x86-64 (a multiply-add torch fuses is the C library's
    /// correctly rounded `fma`), NEON with FMA on arm64.
    case baseline
    /// AVX2 with FMA.
    case avx2
    /// AVX-512 (F, VL, BW, DQ).
    case avx512

    /// The instruction set the kernels run with now.
    public static var current: KernelISA { KernelISA(lockstep_kernel_isa()) }

    /// Runs the kernels with `isa` from now on (a test, a benchmark); `false`, and no
    /// change, when the CPU lacks it.
    @discardableResult
    public static func select(_ isa: KernelISA) -> Bool { lockstep_set_kernel_isa(isa.c) }

    /// Whether this CPU can run the variant.
    public var isSupported: Bool { lockstep_kernel_isa_supported(c) }

    public var description: String { rawValue }

    private init(_ isa: lockstep_isa) {
        switch isa {
        case LOCKSTEP_ISA_AVX512: self = .avx512
        case LOCKSTEP_ISA_AVX2: self = .avx2
        default: self = .baseline
        }
    }

    private var c: lockstep_isa {
        switch self {
        case .baseline: LOCKSTEP_ISA_BASELINE
        case .avx2: LOCKSTEP_ISA_AVX2
        case .avx512: LOCKSTEP_ISA_AVX512
        }
    }
}
