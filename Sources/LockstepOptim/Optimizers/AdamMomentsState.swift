/// The state of Adam-like optimizers that keep no more than the two moments:
/// torch's `step`, `exp_avg` and `exp_avg_sq` (HFAdamW, SparseAdam).
public struct AdamMomentsState<Scalar: TensorScalar>: ParameterState {
    public var step: Double
    public var expAvg: [Scalar]
    public var expAvgSq: [Scalar]
    /// The parameter's shape, which the tensors share.
    public let shape: [Int]

    /// The state before the first step: zeros, `step = 0`.
    init(shape: [Int]) {
        self.shape = shape
        step = 0
        expAvg = [Scalar](repeating: 0, count: shape.reduce(1, *))
        expAvgSq = expAvg
    }

    public var torchState: [String: StateValue<Scalar>] {
        ["step": .scalar(step), "exp_avg": .tensor(shape: shape, values: expAvg), "exp_avg_sq": .tensor(shape: shape, values: expAvgSq)]
    }

    public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
        for key in torchState.keys where !["step", "exp_avg", "exp_avg_sq"].contains(key) {
            throw OptimizerError(.keyError, "no state '\(key)': the state is step, exp_avg, exp_avg_sq")
        }
        step = try torchState.required("step").number("step")
        expAvg = try torchState.required("exp_avg").tensor("exp_avg", shape: parameterShape)
        expAvgSq = try torchState.required("exp_avg_sq").tensor("exp_avg_sq", shape: parameterShape)
        shape = parameterShape
    }
}
