/// A param group: parameters that share hyperparameters (torch's `optimizer.param_groups[i]`).
public struct ParamGroup<Options: OptimizerOptions, Scalar: TensorScalar>: @unchecked Sendable {
    /// The group's parameters, in order.
    public var params: [Parameter<Scalar>]
    /// The group's hyperparameters.
    public var options: Options

    public init(params: [Parameter<Scalar>], options: Options) {
        self.params = params
        self.options = options
    }
}

/// What every optimizer stores: its defaults, its param groups and the state of each
/// parameter, keyed by the parameter's identity (torch's `defaults`, `param_groups` and
/// `state`), and how its kernels compute (CPU capability, tensor `sqrt`, parallelism).
public struct OptimizerStorage<Options: OptimizerOptions, State: ParameterState>: @unchecked Sendable {
    public typealias Scalar = State.Scalar
    /// The hyperparameters a group takes where it does not name its own (torch's `defaults`).
    public let defaults: Options
    /// The CPU capability whose kernels are reproduced.
    public var cpuCapability: TorchCPUCapability
    /// The tensor `sqrt` reproduced.
    public var tensorSqrt: TorchSqrt = .correctlyRounded
    /// How each tensor's element loop is split across threads.
    public var parallelism: Parallelism
    /// The param groups, in order. Change them through the optimizer's API.
    public internal(set) var paramGroups: [ParamGroup<Options, Scalar>] = [] {
        didSet { if paramGroups.count != groupsInParameterIDs { rebuildParameterIDs() } }
    }
    /// The identities of every parameter in `paramGroups`, kept beside them so that adding a
    /// group checks its parameters against the others in time linear in the group, not in
    /// every parameter so far (``appendGroup(_:)``).
    private(set) var parameterIDs: Set<ObjectIdentifier> = []
    /// How many groups `parameterIDs` covers.
    private var groupsInParameterIDs = 0
    /// Per-parameter state; a parameter has none until its first step with a gradient.
    var state: [ObjectIdentifier: State] = [:]

    public init(defaults: Options, cpuCapability: TorchCPUCapability = .avx512, parallelism: Parallelism = .serial) {
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        self.parallelism = parallelism
    }

    /// Appends `group`, whose parameters are in no other group.
    mutating func appendGroup(_ group: ParamGroup<Options, Scalar>) {
        parameterIDs.formUnion(group.params.lazy.map(ObjectIdentifier.init))
        groupsInParameterIDs += 1
        paramGroups.append(group)
    }

    /// Recomputes `parameterIDs` after the groups were replaced wholesale.
    private mutating func rebuildParameterIDs() {
        parameterIDs = Set(paramGroups.lazy.flatMap(\.params).map(ObjectIdentifier.init))
        groupsInParameterIDs = paramGroups.count
    }
}

/// torch's `optimizer.state_dict()`: state by parameter position, and each group's
/// hyperparameters with its parameters' positions.
public struct StateDict<Options: OptimizerOptions, Scalar: TensorScalar>: Sendable, Equatable {
    /// One group: its hyperparameters and its parameters' positions in the optimizer's order.
    public struct Group: Sendable, Equatable {
        public var options: Options
        public var params: [Int]

        public init(options: Options, params: [Int]) {
            self.options = options
            self.params = params
        }
    }

    /// State by parameter position; parameters without state are absent.
    public var state: [Int: [String: StateValue<Scalar>]]
    public var paramGroups: [Group]

    public init(state: [Int: [String: StateValue<Scalar>]], paramGroups: [Group]) {
        self.state = state
        self.paramGroups = paramGroups
    }
}
