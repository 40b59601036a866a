/// How torch counts a parameter's steps in its `step` state.
public enum StepCounter: Sendable, Equatable {
    /// A float32 tensor, `torch.tensor(0.0, dtype=_get_scalar_dtype())` and `step += 1`:
    /// each increment is rounded to `Float` (exact up to 2²⁴ steps). Most of `torch.optim`.
    case float32Tensor
    /// A Python `int` (`state["step"] = 0`, then `+= 1`): exact (SparseAdam, HFAdamW).
    case integer

    /// The counter after one more step.
    public func incremented(_ step: Double) -> Double {
        switch self {
        case .float32Tensor: Double(Float(step) + 1)
        case .integer: step + 1
        }
    }
}

/// One entry of a parameter's state: torch's key, and where the Swift state keeps it.
///
/// A state declares its entries once, as a list (``TorchState/layout``); converting to and
/// from torch's entries (`state_dict()`, `load_state_dict`, teacher-forced replay) and the
/// step counter the driver increments are derived from it.
public struct StateEntry<State, Scalar: TensorScalar> {
    /// torch's key: `step`, `exp_avg`, ...
    public let key: String
    /// Whether every state holds it (`false`: some configurations do not keep it).
    public let isRequired: Bool
    let read: (State, _ parameterShape: [Int]) -> StateValue<Scalar>?
    let write: (inout State, StateValue<Scalar>, _ parameterShape: [Int]) throws -> Void
    /// For the `step` entry: how torch increments it.
    let counter: (rule: StepCounter, path: WritableKeyPath<State, Double>)?
    /// For a required tensor: sets it to zeros of its shape (a new state's value).
    let zeroFill: ((inout State, _ parameterShape: [Int]) -> Void)?

    init(
        key: String, isRequired: Bool, read: @escaping (State, [Int]) -> StateValue<Scalar>?,
        write: @escaping (inout State, StateValue<Scalar>, [Int]) throws -> Void,
        counter: (rule: StepCounter, path: WritableKeyPath<State, Double>)? = nil,
        zeroFill: ((inout State, [Int]) -> Void)? = nil
    ) {
        (self.key, self.isRequired, self.read, self.write, self.counter, self.zeroFill) =
            (key, isRequired, read, write, counter, zeroFill)
    }

    /// torch's `step`, counted as `rule` says; the driver increments it before each step.
    public static func step(_ path: WritableKeyPath<State, Double>, counter rule: StepCounter = .float32Tensor) -> Self {
        Self(
            key: "step", isRequired: true, read: { state, _ in .scalar(state[keyPath: path]) },
            write: { state, value, _ in state[keyPath: path] = try value.number("step") }, counter: (rule, path))
    }

    /// A number torch keeps as a Python number or a 0-dim tensor (ASGD's `eta`).
    public static func number(_ key: String, _ path: WritableKeyPath<State, Double>) -> Self {
        Self(
            key: key, isRequired: true, read: { state, _ in .scalar(state[keyPath: path]) },
            write: { state, value, _ in state[keyPath: path] = try value.number(key) })
    }

    /// A tensor of the parameter's shape, or of the shape `shape` derives from it
    /// (Adafactor's factored `row_var`).
    public static func tensor(
        _ key: String, _ path: WritableKeyPath<State, [Scalar]>, shape: @escaping ([Int]) -> [Int] = { $0 }
    ) -> Self {
        Self(
            key: key, isRequired: true,
            read: { state, parameterShape in .tensor(shape: shape(parameterShape), values: state[keyPath: path]) },
            write: { state, value, parameterShape in state[keyPath: path] = try value.tensor(key, shape: shape(parameterShape)) },
            zeroFill: { state, parameterShape in
                state[keyPath: path] = [Scalar](repeating: 0, count: shape(parameterShape).reduce(1, *))
            })
    }

    /// A tensor of the parameter's shape that some configurations keep (`max_exp_avg_sq`
    /// with amsgrad): `nil` where they do not.
    public static func optionalTensor(
        _ key: String, _ path: WritableKeyPath<State, [Scalar]?>, shape: @escaping ([Int]) -> [Int] = { $0 }
    ) -> Self {
        Self(
            key: key, isRequired: false,
            read: { state, parameterShape in state[keyPath: path].map { .tensor(shape: shape(parameterShape), values: $0) } },
            write: { state, value, parameterShape in state[keyPath: path] = try value.tensor(key, shape: shape(parameterShape)) })
    }
}

/// A parameter's state declared as a list of entries under torch's keys: its conversions
/// to and from torch's entries come from the list.
///
/// ```swift
/// public struct State: TorchState {
///     public var step = 0.0
///     public var expAvg: [Scalar] = []
///     public init() {}
///     public static var layout: [StateEntry<Self, Scalar>] { [.step(\.step), .tensor("exp_avg", \.expAvg)] }
/// }
/// ```
public protocol TorchState<Scalar>: ParameterState {
    /// The entries, in torch's order.
    static var layout: [StateEntry<Self, Scalar>] { get }
    /// An empty state, filled from torch's entries or by the optimizer's `initialState`.
    init()
}

extension TorchState {
    /// The keys of the layout, in order.
    public static var keys: [String] { layout.map(\.key) }

    public func torchState(parameterShape: [Int]) -> [String: StateValue<Scalar>] {
        var entries: [String: StateValue<Scalar>] = [:]
        for entry in Self.layout {
            if let value = entry.read(self, parameterShape) { entries[entry.key] = value }
        }
        return entries
    }

    public init(torchState entries: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
        self.init()
        let layout = Self.layout
        for key in entries.keys.sorted() where !layout.contains(where: { $0.key == key }) {
            throw OptimizerError(.keyError, "keeps no state '\(key)'")
        }
        for entry in layout {
            if let value = entries[entry.key] {
                try entry.write(&self, value, parameterShape)
            } else if entry.isRequired {
                throw OptimizerError(.keyError, "'\(entry.key)'")
            }
        }
    }

    /// A new state for a parameter of `parameterShape`: every required tensor zeros, every
    /// number 0, every optional entry absent.
    public static func zeros(parameterShape: [Int]) -> Self {
        var state = Self()
        for entry in layout { entry.zeroFill?(&state, parameterShape) }
        return state
    }

    /// The `step` entry's rule and where the state keeps it; `nil` without one. Read it once
    /// per group: building the layout costs more than incrementing.
    static var stepCounter: (rule: StepCounter, path: WritableKeyPath<Self, Double>)? {
        layout.lazy.compactMap(\.counter).first
    }

    /// Increments the `step` entry as `counter` says; returns the new count (0 without one).
    mutating func countStep(_ counter: (rule: StepCounter, path: WritableKeyPath<Self, Double>)?) -> Double {
        guard let counter else { return 0 }
        self[keyPath: counter.path] = counter.rule.incremented(self[keyPath: counter.path])
        return self[keyPath: counter.path]
    }
}
