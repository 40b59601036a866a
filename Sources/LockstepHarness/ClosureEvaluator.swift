import LockstepFormat
import LockstepOptim

/// What a closure-mode replay answers when the optimizer calls its closure: the fixture's
/// objective evaluated in Swift (``ObjectiveEvaluator``), or the calls torch made, recorded
/// (``RecordedEvaluator``, format extension 12).
protocol ClosureEvaluator<Scalar> {
    associatedtype Scalar: TensorScalar & FixtureScalar
    /// What it compares besides the loss and the call count, reported before them.
    var comparisons: [TensorComparison] { get }
    /// Answers call `call` (from 1) of step `step`: sets each parameter's gradient (`nil`
    /// for none) and returns the loss.
    mutating func evaluate(call: Int, step: Int, parameters: [Parameter<Scalar>]) throws -> Double
}
