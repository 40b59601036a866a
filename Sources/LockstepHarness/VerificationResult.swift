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
    public var steps: Int
    public var mode: Mode
    public var tolerance: Tolerance
    /// One entry per compared dataset: with a scheduler `/steps/lr` (and `/steps/betas` or
    /// `/steps/momentum`) first, then per parameter in optimizer order `param` and its state keys.
    public var tensors: [TensorComparison]

    public var passed: Bool { tensors.allSatisfy(\.passed) }

    /// The first failure in step order (the first tensor's, among those of that step).
    public var firstFailure: TensorComparison.Failure? {
        tensors.compactMap(\.firstFailure).min { $0.step < $1.step }
    }
}
