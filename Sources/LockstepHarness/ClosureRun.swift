import LockstepFormat
import LockstepHDF5
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
        try Self.checkHistorySize(reader)
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

    /// LBFGS keeps `history_size` rows of every parameter element (torch's `old_dirs` and
    /// `old_stps`, and `al`), allocated at the second iteration: a size from the file held to
    /// the memory budget before the optimizer is built, as the reader holds `steps` (a
    /// `history_size` of 2^40 trapped in the allocation; found by tools/fuzz).
    static func checkHistorySize(_ reader: FixtureReader) throws {
        let elements = max(1, reader.parameters.reduce(0) { $0 + $1.count })
        let budget = HDF5Dataset.memoryBudget
        for group in reader.header.paramGroups {
            guard let size = group.hyperparameters["history_size"]?.numberValue, size > 0 else { continue }
            let bytes = size * Double(elements) * Double(2 * MemoryLayout<T>.size)
            guard bytes > Double(budget) else { continue }
            throw ReplayError.invalidInput(
                object: "/",
                message: "attribute 'param_groups': history_size \(Int(exactly: size).map(String.init) ?? "\(size)") keeps that many rows of \(elements) elements twice (old_dirs, old_stps), more than the memory budget of \(HDF5Dataset.describeBytes(budget)) (LOCKSTEP_MEMORY_BUDGET)")
        }
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
