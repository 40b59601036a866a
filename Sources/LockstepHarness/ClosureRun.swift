import LockstepFormat
import LockstepOptim

/// Closure mode: each step calls `step(closure:)` with a closure that evaluates the fixture's
/// objective at the current parameters, sets their gradients and returns the loss. What the
/// step returned is compared with `/steps/loss` (within the run's tolerance, in the dtype)
/// and the number of calls with `/steps/closure_calls` (exactly).
struct ClosureRun<T: TensorScalar & FixtureScalar> {
    let objective: Objective<T>
    let losses: [Double]
    let callCounts: [Int64]
    let tolerance: Tolerance
    /// `/steps/loss`, then `/steps/closure_calls`.
    private(set) var comparisons = [TensorComparison(tensor: "/steps/loss"), TensorComparison(tensor: "/steps/closure_calls")]

    init(reader: FixtureReader, tolerance: Tolerance) throws {
        guard let definition = reader.objective, let losses = try reader.losses(), let counts = try reader.closureCallCounts()
        else {
            throw ReplayError.invalidInput(object: "/objective", message: "closure mode needs /objective, /steps/loss and /steps/closure_calls")
        }
        objective = Objective(definition: definition)
        let variables = reader.parameters.reduce(0) { $0 + $1.count }
        if let size = objective.size, size != variables {
            throw ReplayError.invalidInput(
                object: "/objective",
                message: "the \(definition.kind) objective takes \(size) variables, the parameters hold \(variables)")
        }
        if case .rosenbrock = definition, variables < 2 {
            throw ReplayError.invalidInput(object: "/objective", message: "rosenbrock needs at least 2 variables, the parameters hold \(variables)")
        }
        self.losses = losses
        callCounts = counts
        self.tolerance = tolerance
    }

    /// Runs step `step` through `step(closure:)` and compares its loss and closure calls.
    mutating func step(_ step: Int, session: ReplaySession<T>) throws {
        let parameters = session.parameters
        let objective = self.objective
        var calls = 0
        let loss = try session.optimizer.step {
            calls += 1
            let (loss, grad) = objective.evaluate(parameters.flatMap(\.value))
            var offset = 0
            for parameter in parameters {
                try parameter.setGrad(Array(grad[offset..<(offset + parameter.count)]))
                offset += parameter.count
            }
            return Double(loss)
        }
        comparisons[0].compare(actual: [T(loss)], expected: [T(losses[step - 1])], shape: [], step: step, tolerance: tolerance)
        comparisons[1].compare(
            actual: [Double(calls)], expected: [Double(callCounts[step - 1])], shape: [], step: step, tolerance: .exact)
    }
}
