import LockstepFormat

/// When an actual value `a` passes for an expected value `e` (format v1, "What passing means"):
///
/// - both NaN, or `a == e` (this covers equal infinities), or
/// - `|a − e| <= atol + rtol·|e|`, both finite, or
/// - `ulpDistance(a, e) <= maxULP`.
///
/// The bound is applied to finite values only: with `e` infinite, `atol + rtol·|e|` is
/// infinite and would accept any `a` (as `torch.isclose`, an infinity matches only itself).
public struct Tolerance: Sendable, Equatable, Codable, CustomStringConvertible {
    public var rtol: Double
    public var atol: Double
    public var maxULP: UInt64

    public init(rtol: Double, atol: Double, maxULP: UInt64) {
        self.rtol = rtol
        self.atol = atol
        self.maxULP = maxULP
    }

    /// Bit for bit: all three bounds zero.
    public static let exact = Tolerance(rtol: 0, atol: 0, maxULP: 0)

    /// `torch.testing.assert_close`'s defaults for the dtype, with `maxULP = 0`.
    public static func defaults(for dtype: FixtureHeader.DType) -> Tolerance {
        switch dtype {
        case .float32: Tolerance(rtol: 1.3e-6, atol: 1e-5, maxULP: 0)
        case .float64: Tolerance(rtol: 1e-7, atol: 1e-7, maxULP: 0)
        }
    }

    /// The bounds in force: each from the command line, else the file's `tolerance`, else
    /// the dtype's default.
    public static func resolve(
        rtol: Double?, atol: Double?, maxULP: UInt64?, file: FixtureHeader.Tolerance?, dtype: FixtureHeader.DType
    ) -> Tolerance {
        let base = defaults(for: dtype)
        return Tolerance(
            rtol: rtol ?? file?.rtol ?? base.rtol, atol: atol ?? file?.atol ?? base.atol,
            maxULP: maxULP ?? file?.maxULP ?? base.maxULP)
    }

    /// Whether `actual` passes for `expected`.
    @inline(__always)
    public func accepts<T: BinaryFloatingPoint>(_ actual: T, _ expected: T) -> Bool where T.RawSignificand: FixedWidthInteger {
        if actual == expected || (actual.isNaN && expected.isNaN) { return true }
        let a = Double(actual), e = Double(expected)
        if a.isFinite, e.isFinite, (a - e).magnitude <= atol + rtol * e.magnitude { return true }
        return maxULP > 0 && ulpDistance(actual, expected) <= maxULP
    }

    public var description: String { "rtol \(rtol), atol \(atol), max_ulp \(maxULP)" }
}
