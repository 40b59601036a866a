import LockstepOptim
import Testing

// Bit-for-bit comparisons of parameters and state, as the optimizer laws make them.

/// `a` and `b` hold the same bits (zeros compare by sign; any two NaNs are equal, whatever
/// their payload and sign, as torch's `equal_nan`).
public func bitIdentical<S: TensorScalar>(_ a: [S], _ b: [S]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy(sameBits)
}

/// Two state entries hold the same shape and bits (NaNs equal, zeros by sign);
/// two absent entries are identical.
public func bitIdentical<S: TensorScalar>(_ a: StateValue<S>?, _ b: StateValue<S>?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (.scalar(let x)?, .scalar(let y)?): sameBits(x, y)
    case (.tensor(let s, let x)?, .tensor(let t, let y)?): s == t && bitIdentical(x, y)
    default: false
    }
}

/// Two parameters' states have the same keys and bit-identical entries; two absent states
/// are identical.
public func bitIdentical<S: TensorScalar>(_ a: [String: StateValue<S>]?, _ b: [String: StateValue<S>]?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.keys.sorted() == b.keys.sorted() && a.keys.allSatisfy { bitIdentical(a[$0], b[$0]) }
}

/// Records an issue at `sourceLocation` naming the first parameter and element where `a`
/// and `b` (each a list of parameters' values) differ in their bits, or their counts differ.
public func expectBitIdentical<S: TensorScalar>(
    _ a: [[S]], _ b: [[S]], _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    for (p, (x, y)) in zip(a, b).enumerated() where !bitIdentical(x, y) {
        guard let i = (0..<min(x.count, y.count)).first(where: { !sameBits(x[$0], y[$0]) }) else {
            Issue.record(
                "\(what) (\(S.self)): parameter \(p) has \(x.count) vs \(y.count) elements", sourceLocation: sourceLocation)
            return
        }
        Issue.record(
            "\(what) (\(S.self)): parameter \(p) differs at element \(i): \(x[i]) vs \(y[i])", sourceLocation: sourceLocation)
        return
    }
    #expect(a.count == b.count, "\(what): parameter counts differ", sourceLocation: sourceLocation)
}

private func sameBits<S: TensorScalar>(_ x: S, _ y: S) -> Bool {
    (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
}
