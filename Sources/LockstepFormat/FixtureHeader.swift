/// The fixture's root attributes, parsed and checked (format v1).
public struct FixtureHeader: Sendable, Equatable, Codable {
    /// The floating-point type of the trajectory.
    public enum DType: String, Sendable, Equatable, CaseIterable, Codable {
        case float32, float64
    }

    /// How the gradients reach the optimizer.
    public enum Mode: String, Sendable, Equatable, CaseIterable, Codable {
        /// Gradients are recorded and fed back.
        case replay
        /// `step(closure)` runs on a closure answered by the recorded objective, or by the
        /// recorded calls of torch's closure (format extension 12).
        case closure
    }

    /// One entry of `param_groups`.
    public struct ParamGroup: Sendable, Equatable, Codable {
        /// The names of the group's parameters, in order.
        public var params: [String]
        /// Every other key of the group: the reference's hyperparameters under its own names.
        public var hyperparameters: [String: JSONValue]
        /// The step before which the group joins through `add_param_group` (1: from the start).
        public var addedAtStep: Int
        /// The hyperparameters that are 0-dim tensors in torch (`lr=torch.tensor(1e-3)`), with
        /// their dtype; their values are the numbers in ``hyperparameters`` (format extension 16).
        public var tensorHyperparameters: [String: DType]

        /// The group key of extension 16: `{"lr": "float32"}`.
        public static let tensorHyperparametersKey = "tensor_hyperparameters"

        public init(
            params: [String], hyperparameters: [String: JSONValue], addedAtStep: Int = 1,
            tensorHyperparameters: [String: DType] = [:]
        ) {
            self.params = params
            self.hyperparameters = hyperparameters
            self.addedAtStep = addedAtStep
            self.tensorHyperparameters = tensorHyperparameters
        }

        /// The hyperparameters as the group's JSON object holds them, with extension 16's
        /// `tensor_hyperparameters` when a hyperparameter is a tensor: what a replay builds
        /// the optimizer's group from.
        public var torchJSON: [String: JSONValue] {
            guard !tensorHyperparameters.isEmpty else { return hyperparameters }
            var object = hyperparameters
            object[Self.tensorHyperparametersKey] = .object(tensorHyperparameters.mapValues { .string($0.rawValue) })
            return object
        }
    }

    /// Where the numbers came from (`reference`).
    public struct Reference: Sendable, Equatable, Codable {
        /// The whole JSON object, including keys this type does not name.
        public var json: [String: JSONValue]
        public var library: String? { json["library"]?.stringValue }
        public var version: String? { json["version"]?.stringValue }
        /// `forloop`, `foreach` or `fused` for torch.
        public var implementation: String? { json["implementation"]?.stringValue }
        /// `torch.backends.cpu.get_cpu_capability()`: `AVX512`, `AVX2`, `DEFAULT`, ...
        public var cpuCapability: String? { json["cpu_capability"]?.stringValue }

        public init(json: [String: JSONValue]) { self.json = json }
    }

    /// Recommended bounds (`tolerance`); any subset.
    public struct Tolerance: Sendable, Equatable, Codable {
        public var rtol: Double?
        public var atol: Double?
        public var maxULP: UInt64?

        public init(rtol: Double? = nil, atol: Double? = nil, maxULP: UInt64? = nil) {
            self.rtol = rtol
            self.atol = atol
            self.maxULP = maxULP
        }
    }

    public var formatVersion: Int
    /// The reference class name (`AdamW`, `HFAdamW`, ...).
    public var optimizer: String
    public var dtype: DType
    /// `N`, the number of `step()` calls recorded.
    public var steps: Int
    public var mode: Mode
    public var paramGroups: [ParamGroup]
    public var reference: Reference
    public var tolerance: Tolerance?
    /// The learning-rate schedule that produced `/steps/lr`, if any.
    public var scheduler: [String: JSONValue]?
    public var description: String?
    public var caseName: String?
    public var seed: Int64?

    public init(
        formatVersion: Int = 1, optimizer: String, dtype: DType, steps: Int, mode: Mode = .replay,
        paramGroups: [ParamGroup], reference: Reference, tolerance: Tolerance? = nil,
        scheduler: [String: JSONValue]? = nil, description: String? = nil, caseName: String? = nil, seed: Int64? = nil
    ) {
        self.formatVersion = formatVersion
        self.optimizer = optimizer
        self.dtype = dtype
        self.steps = steps
        self.mode = mode
        self.paramGroups = paramGroups
        self.reference = reference
        self.tolerance = tolerance
        self.scheduler = scheduler
        self.description = description
        self.caseName = caseName
        self.seed = seed
    }

    /// Every parameter name in optimizer order: the groups' lists, concatenated.
    public var parameterOrder: [String] { paramGroups.flatMap(\.params) }
}
