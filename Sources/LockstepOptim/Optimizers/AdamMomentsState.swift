/// The state of Adam-like optimizers that keep no more than the two moments and count
/// their steps in a Python `int` (HFAdamW, SparseAdam): torch's `step`, `exp_avg` and
/// `exp_avg_sq`.
public struct AdamMomentsState<Scalar: TensorScalar>: TorchState {
    public var step = 0.0
    public var expAvg: [Scalar] = []
    public var expAvgSq: [Scalar] = []
    public init() {}
    public static var layout: [StateEntry<Self, Scalar>] {
        [.step(\.step, counter: .integer), .tensor("exp_avg", \.expAvg), .tensor("exp_avg_sq", \.expAvgSq)]
    }
}
