import LockstepFormat
import LockstepOptim

/// Closure mode: each step calls `step(closure:)` with a closure that a ``ClosureEvaluator``
/// answers (the fixture's objective, or the calls torch recorded). What the step returned is
/// compared with `/steps/loss` (within the run's tolerance, in the dtype) and the number of
/// calls with `/steps/closure_calls` (exactly).
struct ClosureRun<T: TensorScalar & FixtureScalar> {
    private var evaluator: any ClosureEvaluator<T>
    let losses: [Double]
    let callCounts: [Int64]
    let tolerance: Tolerance
    /// `/steps/loss`, then `/steps/closure_calls`.
    private var stepComparisons = [TensorComparison(tensor: "/steps/loss"), TensorComparison(tensor: "/steps/closure_calls")]

    /// The evaluator's comparisons (where the optimizer asked), then the loss and the count.
    var comparisons: [TensorComparison] { evaluator.comparisons + stepComparisons }

    init(reader: FixtureReader, tolerance: Tolerance) throws {
        guard let losses = try reader.losses(), let counts = try reader.closureCallCounts() else {
            throw ReplayError.invalidInput(object: "/steps", message: "closure mode needs /steps/loss and /steps/closure_calls")
        }
        if let evaluations = reader.evaluations {
            evaluator = try RecordedEvaluator<T>(reader: reader, evaluations: evaluations, tolerance: tolerance)
        } else if let objective = reader.objective {
            evaluator = try ObjectiveEvaluator<T>(objective, parameters: reader.parameters)
        } else {
            throw ReplayError.invalidInput(object: "/objective", message: "closure mode needs /objective or the recorded closure calls")
        }
        self.losses = losses
        callCounts = counts
        self.tolerance = tolerance
    }

    /// Runs step `step` through `step(closure:)` and compares its loss and closure calls.
    mutating func step(_ step: Int, session: ReplaySession<T>) throws {
        let parameters = session.parameters
        var calls = 0
        let loss = try session.optimizer.step {
            calls += 1
            return try evaluator.evaluate(call: calls, step: step, parameters: parameters)
        }
        stepComparisons[0].compare(actual: [T(loss)], expected: [T(losses[step - 1])], shape: [], step: step, tolerance: tolerance)
        stepComparisons[1].compare(
            actual: [Double(calls)], expected: [Double(callCounts[step - 1])], shape: [], step: step, tolerance: .exact)
    }
}
