/// bfloat16: the upper 16 bits of an IEEE float32 (8 exponent bits, 7 fraction bits).
///
/// torch computes bfloat16 tensor ops in `Float` and rounds each result back with
/// `c10::BFloat16`'s round-to-nearest-even on the bit pattern: add `0x7FFF` plus the
/// lowest kept bit, then drop the low 16 bits. That keeps subnormals (no flush to zero),
/// rounds values beyond the largest finite bfloat16 to infinity, and maps NaN to a quiet
/// NaN. Values are carried as `Float`s that hold exactly a bfloat16 value.
public struct BFloat16: Sendable, Hashable {
    /// The 16-bit pattern.
    public let bitPattern: UInt16

    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// `value` rounded to the nearest bfloat16, ties to even (torch's `Float → BFloat16`).
    public init(_ value: Float) {
        if value.isNaN {
            bitPattern = 0x7FC0
            return
        }
        let bits = value.bitPattern
        let roundingBias = ((bits >> 16) & 1) + 0x7FFF
        bitPattern = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The value, exactly, as a `Float`.
    public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    /// `value` rounded to bfloat16 and back: one bfloat16 rounding of a `Float` result.
    @inline(__always)
    public static func round(_ value: Float) -> Float { BFloat16(value).float }
}
