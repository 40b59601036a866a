import LockstepHDF5

/// One parameter of a fixture (`/params/<name>`), with its datasets opened and checked.
public struct FixtureParameter: Sendable {
    /// The parameter's name, as in `param_groups`.
    public let name: String
    /// The 0-based position in the optimizer's parameter order (attribute `index`).
    public let index: Int
    /// `S`, the parameter's shape (`[]` for a scalar).
    public let shape: [Int]
    /// For each step, whether the parameter has a gradient (`has_grad`; all true when absent).
    public let hasGrad: [Bool]
    /// The recorded optimizer state keys (`state/<key>`), sorted.
    public let stateKeys: [String]
    /// Whether the gradients are sparse: `grad_mask` says which entries each step's sparse
    /// gradient holds (our extension; read a row with `FixtureReader.readGradMask`).
    public var hasSparseGrads: Bool { gradMask != nil }
    /// The state keys recorded before step 1 (`initial_state/<key>`, format extension 13: a
    /// recording that starts in the middle of training), sorted; empty when the recording
    /// starts with the optimizer. Read one with `FixtureReader.readInitialState`.
    public var initialStateKeys: [String] { initialState.keys.sorted() }
    /// The state keys whose existence is recorded step by step (`state_exists/<key>`, format
    /// extension 15), sorted; for the others a row of NaN means the entry does not exist.
    public var stateExistsKeys: [String] { stateExists.keys.sorted() }
    /// Whether the closure calls are recorded (`evaluations/`, format extension 12); read a
    /// row with `FixtureReader.read(_:of:evaluation:into:)`.
    public var hasEvaluations: Bool { evaluations != nil }

    let initial: HDF5Dataset
    let grad: HDF5Dataset?
    let gradMask: HDF5Dataset?
    let param: HDF5Dataset
    let state: [String: HDF5Dataset]
    let initialState: [String: HDF5Dataset]
    let evaluations: Evaluations?
    /// `state_exists/<key>` per key: whether the entry exists after each step.
    let stateExists: [String: [Bool]]

    /// The datasets of `evaluations/`, one row per closure call of the run.
    struct Evaluations: Sendable {
        let param: HDF5Dataset
        let grad: HDF5Dataset
        /// `has_grad`, or `nil` when absent (every call left a gradient).
        let hasGrad: [Bool]?
    }

    /// Whether the closure left a gradient on the parameter at evaluation `row`
    /// (`evaluations/has_grad`; true where it is absent).
    public func hasGrad(atEvaluation row: Int) -> Bool {
        guard let flags = evaluations?.hasGrad, flags.indices.contains(row) else { return true }
        return flags[row]
    }

    /// Whether state entry `key` exists after `step` (1-based), where the file says so
    /// (`state_exists/<key>`, format extension 15); `nil` where it does not, and a row of
    /// NaN means the entry does not exist.
    public func stateExists(_ key: String, after step: Int) -> Bool? {
        guard let flags = stateExists[key], flags.indices.contains(step - 1) else { return nil }
        return flags[step - 1]
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The shape of one row of `state/<key>` (its dimensions after the step axis), which is
    /// also the shape of `initial_state/<key>`.
    public func stateShape(_ key: String) -> [Int]? {
        state[key].map { Array($0.shape.dropFirst()) }
    }

    /// The object path of this parameter's group, `/params/<name>`.
    public var path: String { "/params/\(name)" }
}

/// The recorded series of a parameter that have one row per step.
public enum FixtureSeries: Sendable, Hashable, CustomStringConvertible {
    /// `grad`: the gradient present when step `t` runs.
    case grad
    /// `param`: the value after step `t`.
    case param
    /// `state/<key>`: the optimizer state after step `t`.
    case state(String)

    public var description: String {
        switch self {
        case .grad: "grad"
        case .param: "param"
        case .state(let key): "state/\(key)"
        }
    }
}
