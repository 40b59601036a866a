/// A number in torch's Python optimizer code: a Python `float` or a 0-dim tensor.
///
/// LBFGS and its line search mix the two freely (`t = lr` is a float, `gtd = g.dot(d)` a
/// tensor, `f + c1 * t * gtd` both), and the result's precision follows torch's type
/// promotion: an operation with a tensor operand is a tensor operation in the tensor's
/// dtype, the Python float first rounded to that dtype (`float32(f) + gtd`); two floats
/// compute in `Double`. Comparisons promote the same way. Measured against torch 2.15.
enum PythonNumber<Scalar: TensorScalar>: Sendable, Equatable {
    /// A Python `float` (or `int`).
    case float(Double)
    /// A 0-dim tensor of the parameters' dtype.
    case tensor(Scalar)

    /// The value as the tensor dtype: what a tensor operation sees.
    var scalar: Scalar {
        switch self {
        case .float(let value): Scalar(value)
        case .tensor(let value): value
        }
    }

    /// The value as a Python float (`float(t)`).
    var double: Double {
        switch self {
        case .float(let value): value
        case .tensor(let value): Double(value)
        }
    }

    private static func promote(
        _ a: Self, _ b: Self, _ float: (Double, Double) -> Double, _ tensor: (Scalar, Scalar) -> Scalar
    ) -> Self {
        if case .float(let x) = a, case .float(let y) = b { return .float(float(x, y)) }
        return .tensor(tensor(a.scalar, b.scalar))
    }

    private static func compare(_ a: Self, _ b: Self, _ float: (Double, Double) -> Bool, _ tensor: (Scalar, Scalar) -> Bool) -> Bool {
        if case .float(let x) = a, case .float(let y) = b { return float(x, y) }
        return tensor(a.scalar, b.scalar)
    }

    static func + (a: Self, b: Self) -> Self { promote(a, b, +, +) }
    static func - (a: Self, b: Self) -> Self { promote(a, b, -, -) }
    static func * (a: Self, b: Self) -> Self { promote(a, b, *, *) }
    /// A float divided by a tensor is `tensor.__rtruediv__`: `b.reciprocal() * a`, two roundings.
    static func / (a: Self, b: Self) -> Self {
        if case .float(let x) = a, case .tensor(let y) = b { return .tensor((1 / y) * Scalar(x)) }
        return promote(a, b, /, /)
    }
    static prefix func - (a: Self) -> Self {
        switch a {
        case .float(let value): .float(-value)
        case .tensor(let value): .tensor(-value)
        }
    }

    static func < (a: Self, b: Self) -> Bool { compare(a, b, <, <) }
    static func <= (a: Self, b: Self) -> Bool { compare(a, b, <=, <=) }
    static func > (a: Self, b: Self) -> Bool { compare(a, b, >, >) }
    static func >= (a: Self, b: Self) -> Bool { compare(a, b, >=, >=) }

    /// Python's `abs`.
    var magnitude: Self {
        switch self {
        case .float(let value): .float(Swift.abs(value))
        case .tensor(let value): .tensor(Swift.abs(value))
        }
    }

    /// `tensor.sqrt()`, as `sqrt` computes it.
    func squareRoot(_ sqrt: TorchSqrt) -> Self { .tensor(sqrt(scalar)) }
}

extension PythonNumber: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    init(floatLiteral value: Double) { self = .float(value) }
    init(integerLiteral value: Int) { self = .float(Double(value)) }
}

/// Python's `max(a, b)`: `a` unless `b > a` (so the first of equal values, and `a` when
/// either is NaN and `b > a` is false).
func pythonMax<Scalar>(_ a: PythonNumber<Scalar>, _ b: PythonNumber<Scalar>) -> PythonNumber<Scalar> { b > a ? b : a }

/// Python's `min(a, b)`: `a` unless `b < a`.
func pythonMin<Scalar>(_ a: PythonNumber<Scalar>, _ b: PythonNumber<Scalar>) -> PythonNumber<Scalar> { b < a ? b : a }
