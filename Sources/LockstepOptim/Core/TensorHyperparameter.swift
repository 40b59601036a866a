/// The dtype of a 0-dim tensor hyperparameter: torch accepts `lr=torch.tensor(0.01)`
/// (float32 by default, or `dtype=torch.float64`) wherever it accepts `lr=0.01`.
public enum TensorDType: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    case float32, float64

    /// `x` rounded to the dtype: the value `torch.tensor(x, dtype=self)` holds.
    @inline(__always)
    public func rounded(_ x: Double) -> Double {
        switch self {
        case .float32: Double(Float(x))
        case .float64: x
        }
    }

    /// The dtype of `Scalar` (`Float`: float32, `Double`: float64).
    public static func of<Scalar: TensorScalar>(_: Scalar.Type) -> TensorDType {
        Scalar.significandBitCount == Float.significandBitCount ? .float32 : .float64
    }
}

/// A hyperparameter as torch's Python code computes with it: a Python `float`, or a 0-dim
/// tensor of ``TensorDType``.
///
/// torch's type promotion decides the arithmetic: an operation between a 0-dim tensor and a
/// Python float is a tensor operation in the tensor's dtype, the float first rounded to that
/// dtype (`torch.tensor(1e-3) * math.sqrt(2)` is `float32(float32(1e-3) · float32(√2))`);
/// between two Python floats it is `Double` arithmetic. A float32 operation is computed here
/// in `Double` on float32 operands and rounded to float32, which is the correctly rounded
/// float32 result for `+ − × ÷` (a `Double` holds more than twice float32's precision).
/// Where torch turns the result into a Python number (`alpha=-lr`, `value=-clr`: `.item()`),
/// ``value`` is that number; where it multiplies a tensor of another dtype, the value is
/// converted exactly to the wider type, as torch's promotion of a 0-dim tensor does.
public struct TorchNumber: Sendable, Equatable {
    /// The value (for a float32 tensor, a float32 value held as a `Double`).
    public var value: Double
    /// `nil` for a Python float, else the tensor's dtype.
    public var tensor: TensorDType?

    /// A Python float (`tensor == nil`) or a 0-dim tensor of `tensor`, holding `value`
    /// rounded to that dtype.
    public init(_ value: Double, tensor: TensorDType? = nil) {
        self.value = tensor?.rounded(value) ?? value
        self.tensor = tensor
    }

    @inline(__always)
    private static func operate(_ a: Double, _ b: Double, _ dtype: TensorDType?, _ op: (Double, Double) -> Double) -> TorchNumber {
        guard let dtype else { return TorchNumber(op(a, b)) }
        return TorchNumber(op(dtype.rounded(a), dtype.rounded(b)), tensor: dtype)
    }

    /// `x * f` for a Python float `f`.
    public static func * (x: TorchNumber, f: Double) -> TorchNumber { operate(x.value, f, x.tensor, *) }
    /// `x / f` for a Python float `f` (`Tensor.__truediv__`, one rounding).
    public static func / (x: TorchNumber, f: Double) -> TorchNumber { operate(x.value, f, x.tensor, /) }
    /// `f - x` for a Python float `f` (`Tensor.__rsub__`).
    public static func - (f: Double, x: TorchNumber) -> TorchNumber { operate(f, x.value, x.tensor, -) }
    /// `-x` (exact).
    public static prefix func - (x: TorchNumber) -> TorchNumber { TorchNumber(-x.value, tensor: x.tensor) }
}

/// Options whose learning rate may be a 0-dim tensor, of an optimizer that reproduces
/// torch's arithmetic with one. An optimizer whose options do not conform has a tensor `lr`
/// refused by the replay (`docs/fixture-format.md`, extension 16), rather than replayed as a
/// Python float where torch computes differently.
public protocol TensorLearningRateOptions: OptimizerOptions {
    /// `nil`: `lr` is a Python float; else `lr` is a 0-dim tensor of this dtype (and a
    /// value of that dtype).
    var lrTensor: TensorDType? { get set }
}

extension TensorLearningRateOptions {
    /// `lr` as torch's code holds it: a Python float or a 0-dim tensor.
    public var learningRate: TorchNumber { TorchNumber(lr, tensor: lrTensor) }
}

/// An optimizer whose constructor checks hyperparameters given as tensors before its other
/// checks (`if isinstance(lr, Tensor): ...`), with torch's messages. A replay runs them on
/// torch's arguments before refusing a tensor it does not reproduce, so a configuration torch
/// rejects is rejected with torch's words.
public protocol TensorArgumentChecking: Optimizer {
    /// Throws torch's error for `options` when the hyperparameters named in `tensors` are
    /// 0-dim tensors: `lr`, or a tuple's element as `betas[0]`.
    static func checkTensorArguments(_ tensors: Set<String>, _ options: Options) throws
}
