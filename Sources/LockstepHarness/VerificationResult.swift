/// The verdict on one fixture: pass or fail, and per compared tensor the largest errors.
public struct VerificationResult: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable {
        /// Started from `initial` and never reset: errors accumulate as in training.
        case freeRunning = "free-running"
        /// The recorded step `t − 1` was loaded before step `t`: each step judged alone.
        case teacherForced = "teacher-forced"
    }

    public var fixture: String
    public var optimizer: String
    public var dtype: String
    public var implementation: String?
    public var cpuCapability: String?
    /// The tensor `sqrt` reproduced (a `TorchSqrt` raw value), from the fixture's fingerprint.
    public var tensorSqrt: String?
    /// Why the reference's `sqrt` is not reproduced exactly, where it is not (``SqrtIdentification/note``).
    public var sqrtNote: String?
    public var steps: Int
    public var mode: Mode
    public var tolerance: Tolerance
    /// One entry per compared dataset: with a scheduler `/steps/lr` (and `/steps/betas` or
    /// `/steps/momentum`) first; in closure mode then, for recorded closure calls, each
    /// parameter's `evaluations/param`, and `/steps/loss` and `/steps/closure_calls`; then per
    /// parameter in optimizer order `param` and its state keys.
    public var tensors: [TensorComparison]

    public init(
        fixture: String, optimizer: String, dtype: String, implementation: String?, cpuCapability: String?, steps: Int,
        mode: Mode, tolerance: Tolerance, tensors: [TensorComparison]
    ) {
        (self.fixture, self.optimizer, self.dtype, self.implementation) = (fixture, optimizer, dtype, implementation)
        (self.cpuCapability, self.steps, self.mode, self.tolerance, self.tensors) = (cpuCapability, steps, mode, tolerance, tensors)
    }

    public var passed: Bool { tensors.allSatisfy(\.passed) }

    /// Whether every compared value was bit for bit the recorded one.
    public var isExact: Bool { tensors.allSatisfy { $0.steps.allSatisfy(\.isExact) } }

    /// The largest ULP error over every compared tensor (`nil`: NaN against a number).
    public var maxULPError: UInt64? {
        tensors.reduce(UInt64(0) as UInt64?) { worst, t in worst.flatMap { w in t.maxULPError.map { max(w, $0) } } }
    }

    /// The largest relative error over every compared tensor.
    public var maxRelativeError: Double { tensors.map(\.maxRelativeError).max() ?? 0 }

    /// The first failure in step order (the first tensor's, among those of that step).
    public var firstFailure: TensorComparison.Failure? {
        tensors.compactMap(\.firstFailure).min { $0.step < $1.step }
    }

    /// The first failure as `verify` prints it: `first failure: step 4, /params/w/state/exp_avg,
    /// element 3 [1, 0]: expected 0.1, actual 0.10000001, 1 ulp`; `nil` when it passed. At a
    /// recorded closure call it names the call: `first failure: step 3,
    /// /params/x/evaluations/param, element 1 [1]: expected 0.5, actual 0.4375, 2097152 ulp
    /// (closure call 2 of step 3, evaluation row 7)`.
    public var firstFailureDescription: String? {
        guard let failure = firstFailure else { return nil }
        let index = failure.multiIndex.isEmpty ? "" : " \(failure.multiIndex)"
        // A count of closure calls is an integer: ULPs of its float encoding mean nothing.
        let isCount = failure.tensor == "/steps/closure_calls"
        let (expected, actual) = isCount
            ? (Self.count(failure.expected), Self.count(failure.actual))
            : (Self.show(failure.expected, dtype), Self.show(failure.actual, dtype))
        return "first failure: step \(failure.step), \(failure.tensor), element \(failure.index)\(index): "
            + "expected \(expected), actual \(actual)"
            + (isCount ? " calls" : failure.ulps.map { ", \($0) ulp" } ?? "")
            + (failure.evaluation.map { " (closure call \($0.call) of step \(failure.step), evaluation row \($0.row))" } ?? "")
    }

    /// A count of calls: a whole number as an integer, anything else (a count recorded near
    /// 2^63, where `Int(_:)` would trap, or NaN) as the number it is.
    private static func count(_ value: Double) -> String {
        guard value.isFinite, value.rounded() == value, abs(value) < 0x1p63 else { return "\(value)" }
        return "\(Int(value))"
    }

    /// A value in its dtype's shortest round-trip form.
    private static func show(_ value: Double, _ dtype: String) -> String {
        dtype == "float32" ? "\(Float(value))" : "\(value)"
    }
}
