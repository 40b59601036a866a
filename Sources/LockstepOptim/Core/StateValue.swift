/// One entry of a parameter's optimizer state, as torch's `optimizer.state[p][key]`.
public enum StateValue<Scalar: TensorScalar>: Sendable, Equatable {
    /// A number (torch keeps `step` as a 0-dim tensor or a Python number).
    case scalar(Double)
    /// A tensor of the parameter's dtype.
    case tensor(shape: [Int], values: [Scalar])

    /// The values flat, a scalar as one element.
    public var flatValues: [Scalar] {
        switch self {
        case .scalar(let value): [Scalar(value)]
        case .tensor(_, let values): values
        }
    }

    /// The shape, `[]` for a scalar.
    public var shape: [Int] {
        switch self {
        case .scalar: []
        case .tensor(let shape, _): shape
        }
    }
}

/// A parameter's optimizer state: a plain value with its entries under torch's keys.
public protocol ParameterState<Scalar>: Sendable {
    associatedtype Scalar: TensorScalar
    /// The entries, under torch's keys (`step`, `exp_avg`, ...), for a parameter of
    /// `parameterShape`.
    func torchState(parameterShape: [Int]) -> [String: StateValue<Scalar>]
    /// Rebuilds the state from torch's entries, checking keys and shapes
    /// (`load_state_dict`, and teacher-forced replay).
    init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws
}

extension Dictionary {
    /// The entry `key` of a torch state, or torch's `KeyError`.
    public func required<Scalar>(_ key: String) throws -> StateValue<Scalar> where Key == String, Value == StateValue<Scalar> {
        guard let value = self[key] else { throw OptimizerError(.keyError, "'\(key)'") }
        return value
    }
}

extension StateValue {
    /// The value as a number (a scalar, or a one-element tensor).
    public func number(_ key: String) throws -> Double {
        switch self {
        case .scalar(let value): return value
        case .tensor(_, let values) where values.count == 1: return Double(values[0])
        case .tensor(let shape, _): throw OptimizerError(.runtimeError, "state '\(key)' must be a number, got a tensor of shape \(shape)")
        }
    }

    /// The values of a tensor entry, checked against the parameter's shape. A number is
    /// accepted for a 0-dim tensor (a scalar parameter's state).
    public func tensor(_ key: String, shape expected: [Int]) throws -> [Scalar] {
        let values = flatValues
        let shapeFits: Bool = switch self {
        case .tensor(let shape, _): shape == expected
        case .scalar: expected.isEmpty
        }
        guard shapeFits, values.count == expected.reduce(1, *) else {
            throw OptimizerError(.runtimeError, "state '\(key)' must be a tensor of shape \(expected), got shape \(shape)")
        }
        return values
    }
}
