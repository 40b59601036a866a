/// Distance in units in the last place (ULPs) between two floating-point values.
///
/// Values are mapped onto a line of integers in the order of the reals, with `-0` and `+0`
/// at the same point, so the distance counts the representable values between the two:
/// across zero, through subnormals, and up to infinity (the largest finite value is one
/// ULP from infinity). A NaN is at no finite distance from anything: the result is
/// `UInt64.max` unless both are NaN (then `0`).
public func ulpDistance<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> UInt64 where T.RawSignificand: FixedWidthInteger {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
    let (x, y) = (orderedIndex(a), orderedIndex(b))
    // The true difference is below 2^64 but may exceed Int64.max (from -inf to +inf):
    // wrapping subtraction read as unsigned is exact.
    return x >= y ? UInt64(bitPattern: x &- y) : UInt64(bitPattern: y &- x)
}

/// The position of `value` on the line of representable values: `0` for ±0, `n` for the
/// n-th value above zero, `-n` for its negation. Never called with NaN.
func orderedIndex<T: BinaryFloatingPoint>(_ value: T) -> Int64 where T.RawSignificand: FixedWidthInteger {
    let magnitude = Int64(value.exponentBitPattern) << Int64(T.significandBitCount)
        | Int64(value.significandBitPattern)
    return value.sign == .minus ? -magnitude : magnitude
}
