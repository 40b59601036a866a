import LockstepFormat
import LockstepOptim

/// Answers closure calls from the fixture's objective (`/objective`, format extension 5):
/// `f` and `∇f` at the current parameters, flattened and concatenated in optimizer order.
struct ObjectiveEvaluator<Scalar: TensorScalar & FixtureScalar>: ClosureEvaluator {
    let objective: Objective<Scalar>
    /// Nothing besides the loss and the call count.
    var comparisons: [TensorComparison] { [] }

    /// - Throws: ``ReplayError/invalidInput(object:message:)`` when the objective does not
    ///   take as many variables as the parameters hold.
    init(_ definition: FixtureObjective, parameters: [FixtureParameter]) throws {
        objective = Objective(definition: definition)
        let variables = parameters.reduce(0) { $0 + $1.count }
        if let size = objective.size, size != variables {
            throw ReplayError.invalidInput(
                object: "/objective",
                message: "the \(definition.kind) objective takes \(size) variables, the parameters hold \(variables)")
        }
        if case .rosenbrock = definition, variables < 2 {
            throw ReplayError.invalidInput(object: "/objective", message: "rosenbrock needs at least 2 variables, the parameters hold \(variables)")
        }
    }

    func evaluate(call: Int, step: Int, parameters: [Parameter<Scalar>]) throws -> Double {
        let (loss, grad) = objective.evaluate(parameters.flatMap(\.value))
        var offset = 0
        for parameter in parameters {
            try parameter.setGrad(Array(grad[offset..<(offset + parameter.count)]))
            offset += parameter.count
        }
        return Double(loss)
    }
}
