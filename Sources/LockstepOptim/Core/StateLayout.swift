import Synchronization

/// How torch counts a parameter's steps in its `step` state.
public enum StepCounter: Sendable, Equatable {
    /// A float32 tensor, `torch.tensor(0.0, dtype=_get_scalar_dtype())` and `step += 1`:
    /// each increment is rounded to `Float` (exact up to 2²⁴ steps). Most of `torch.optim`.
    case float32Tensor
    /// A Python `int` (`state["step"] = 0`, then `+= 1`): exact (SparseAdam, HFAdamW).
    case integer

    /// The `step` entry of a state: how torch counts it, and where the state keeps it.
    public struct Entry<State> {
        let rule: StepCounter
        let path: WritableKeyPath<State, Double>

        /// Counts one more step in `state`; returns the new count.
        func increment(_ state: inout State) -> Double {
            let count = rule.incremented(state[keyPath: path])
            state[keyPath: path] = count
            return count
        }
    }

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
    let counter: StepCounter.Entry<State>?
    /// For a required tensor: sets it to zeros of its shape (a new state's value).
    let zeroFill: ((inout State, _ parameterShape: [Int]) -> Void)?

    init(
        key: String, isRequired: Bool, read: @escaping (State, [Int]) -> StateValue<Scalar>?,
        write: @escaping (inout State, StateValue<Scalar>, [Int]) throws -> Void,
        counter: StepCounter.Entry<State>? = nil,
        zeroFill: ((inout State, [Int]) -> Void)? = nil
    ) {
        (self.key, self.isRequired, self.read, self.write, self.counter, self.zeroFill) =
            (key, isRequired, read, write, counter, zeroFill)
    }

    /// torch's `step`, counted as `rule` says; the driver increments it before each step.
    public static func step(_ path: WritableKeyPath<State, Double>, counter rule: StepCounter = .float32Tensor) -> Self {
        Self(
            key: "step", isRequired: true, read: { state, _ in .scalar(state[keyPath: path]) },
            write: { state, value, _ in state[keyPath: path] = try value.number("step") },
            counter: StepCounter.Entry(rule: rule, path: path))
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

/// Each state type's layout, built once (``TorchState/entries``).
private let builtLayouts = Mutex<[ObjectIdentifier: AnyObject]>([:])

/// A built layout, as a class so that finding it again is one cast.
private final class BuiltLayout<State: TorchState>: @unchecked Sendable {
    let entries: [StateEntry<State, State.Scalar>]
    let counter: StepCounter.Entry<State>?

    init(_ entries: [StateEntry<State, State.Scalar>]) {
        self.entries = entries
        counter = entries.first { $0.counter != nil }?.counter
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
    /// ``layout``, built once per state type. A key path into a generic type is
    /// instantiated at run time, through the metadata cache and the demangler: building the
    /// layout costs microseconds, more than a small tensor's step.
    static var entries: [StateEntry<Self, Scalar>] { built.entries }

    /// The `step` entry, `nil` without one.
    static var stepCounter: StepCounter.Entry<Self>? { built.counter }

    private static var built: BuiltLayout<Self> {
        let type = ObjectIdentifier(Self.self)
        if let built = builtLayouts.withLock({ $0[type] }) as? BuiltLayout<Self> { return built }
        let built = BuiltLayout<Self>(layout)
        builtLayouts.withLock { $0[type] = built }
        return built
    }

    public func torchState(parameterShape: [Int]) -> [String: StateValue<Scalar>] {
        var entries: [String: StateValue<Scalar>] = [:]
        for entry in Self.entries {
            if let value = entry.read(self, parameterShape) { entries[entry.key] = value }
        }
        return entries
    }

    public init(torchState entries: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
        self.init()
        let layout = Self.entries
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
        for entry in entries { entry.zeroFill?(&state, parameterShape) }
        return state
    }
}
