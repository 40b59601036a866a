import LockstepHDF5

/// The closure calls torch made in a closure-mode recording without an objective (format
/// extension 12): what each call returned (`/evaluations/loss`), and per parameter its value
/// and the gradient the call left (`/params/<name>/evaluations/param`, `.../grad`).
///
/// Rows count the calls of the whole run in call order: step `t`'s calls are the
/// `closure_calls[t − 1]` rows after the previous steps' calls (``rows(ofStep:)``).
public struct FixtureEvaluations: Sendable {
    /// `E`, the number of calls recorded: the sum of `/steps/closure_calls`.
    public var count: Int { starts.last ?? 0 }
    /// The first row of each step's calls, then `E`.
    private let starts: [Int]
    let loss: HDF5Dataset

    /// - Parameter callCounts: `/steps/closure_calls`, checked to be non-negative with a
    ///   sum that fits in `Int`.
    init(callCounts: [Int], loss: HDF5Dataset) {
        var starts = [0]
        starts.reserveCapacity(callCounts.count + 1)
        for calls in callCounts { starts.append((starts.last ?? 0) + calls) }
        self.starts = starts
        self.loss = loss
    }

    /// The rows of step `step`'s calls (steps count from 1); empty for a step outside the run.
    public func rows(ofStep step: Int) -> Range<Int> {
        guard step >= 1, step < starts.count else { return 0..<0 }
        return starts[step - 1]..<starts[step]
    }
}

/// The series of a parameter that have one row per closure call (format extension 12).
public enum FixtureEvaluationSeries: Sendable, Hashable, CustomStringConvertible {
    /// `evaluations/param`: the parameter's value when the closure was called.
    case param
    /// `evaluations/grad`: the `.grad` the closure left (NaN where `has_grad` is 0).
    case grad

    public var description: String {
        switch self {
        case .param: "evaluations/param"
        case .grad: "evaluations/grad"
        }
    }
}
