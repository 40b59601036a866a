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

    let initial: HDF5Dataset
    let grad: HDF5Dataset?
    let gradMask: HDF5Dataset?
    let param: HDF5Dataset
    let state: [String: HDF5Dataset]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The shape of one row of `state/<key>` (its dimensions after the step axis).
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
