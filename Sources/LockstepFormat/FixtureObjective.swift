/// The objective of a closure-mode fixture (`/objective`), with its data.
///
/// Values are held as `Double`; a `float32` file's data converts to `Double` exactly.
public enum FixtureObjective: Sendable, Equatable {
    /// `f(x) = ½ xᵀAx − bᵀx`, `∇f = Ax − b`; `a` is `n × n` row-major.
    case quadratic(a: [Double], b: [Double], n: Int)
    /// `f(x) = Σ_{i<n−1} b(x_{i+1} − x_i²)² + (a − x_i)²`.
    case rosenbrock(a: Double, b: Double)
    /// `f(w) = (1/m) Σ log(1 + exp(−y_i X_i·w)) + ½ l2 ‖w‖²`; `x` is `m × n` row-major.
    case logisticRegression(x: [Double], y: [Double], l2: Double, m: Int, n: Int)

    /// The `kind` attribute's value.
    public var kind: String {
        switch self {
        case .quadratic: "quadratic"
        case .rosenbrock: "rosenbrock"
        case .logisticRegression: "logistic_regression"
        }
    }

    /// The kinds this reader knows.
    public static let kinds = ["quadratic", "rosenbrock", "logistic_regression"]
}
