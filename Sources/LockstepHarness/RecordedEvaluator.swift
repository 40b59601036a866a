import LockstepFormat
import LockstepOptim

/// Answers closure calls from the calls torch made (format extension 12): no objective is
/// re-implemented in Swift.
///
/// Call `k` of the run (the optimizer's `call`-th of step `t`, in the rows of step `t`)
/// is answered by
/// 1. comparing each Swift parameter with row `k` of `/params/<name>/evaluations/param`
///    within the run's tolerance, reported as that tensor: the optimizer must ask where
///    torch asked;
/// 2. setting each parameter's gradient to row `k` of `evaluations/grad`, or `nil` where
///    `evaluations/has_grad` is 0;
/// 3. returning row `k` of `/evaluations/loss`.
///
/// A call beyond the step's recorded calls (the optimizer asks more often than torch did)
/// reads nothing: it is answered with a NaN loss and NaN gradients, so that the step ends
/// (LBFGS and CG stop within `max_eval` calls whatever they are told) and
/// `/steps/closure_calls` fails at that step with the number of calls the optimizer made.
struct RecordedEvaluator<Scalar: TensorScalar & FixtureScalar>: ClosureEvaluator {
    let reader: FixtureReader
    let evaluations: FixtureEvaluations
    let tolerance: Tolerance
    /// `/evaluations/loss`, read whole as `/steps/loss` is: eight bytes per call. The
    /// parameter rows are read one call at a time.
    let losses: [Double]
    /// Per parameter, `/params/<name>/evaluations/param`.
    private(set) var comparisons: [TensorComparison]
    /// The reused row buffer.
    private var row: [Scalar] = []

    init(reader: FixtureReader, evaluations: FixtureEvaluations, tolerance: Tolerance) throws {
        self.reader = reader
        self.evaluations = evaluations
        self.tolerance = tolerance
        losses = try reader.evaluationLosses() ?? []
        guard losses.count == evaluations.count else {
            throw ReplayError.invalidInput(
                object: "/evaluations/loss", message: "has \(losses.count) rows, /steps/closure_calls sums to \(evaluations.count)")
        }
        comparisons = reader.parameters.map { TensorComparison(tensor: $0.path + "/evaluations/param") }
    }

    mutating func evaluate(call: Int, step: Int, parameters: [Parameter<Scalar>]) throws -> Double {
        let recorded = evaluations.rows(ofStep: step)
        guard call >= 1, call <= recorded.count else {
            for parameter in parameters { try parameter.setGrad([Scalar](repeating: .nan, count: parameter.count)) }
            return .nan
        }
        let k = recorded.lowerBound + call - 1
        let evaluation = TensorComparison.Failure.Evaluation(call: call, row: k)
        for (index, (parameter, fixture)) in zip(parameters, reader.parameters).enumerated() {
            try reader.read(.param, of: fixture, evaluation: k, into: &row)
            comparisons[index].compare(
                actual: parameter.value, expected: row, shape: fixture.shape, step: step, tolerance: tolerance,
                evaluation: evaluation)
            guard fixture.hasGrad(atEvaluation: k) else {
                try parameter.setGrad(nil)
                continue
            }
            // Read into the parameter's own gradient array, taken out so that it is uniquely
            // referenced: no allocation per call.
            var grad = parameter.grad ?? []
            try parameter.setGrad(nil)
            try reader.read(.grad, of: fixture, evaluation: k, into: &grad)
            try parameter.setGrad(grad)
        }
        return losses[k]
    }
}
