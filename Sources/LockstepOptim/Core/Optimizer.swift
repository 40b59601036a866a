/// An optimizer with PyTorch's model (`torch.optim.Optimizer`).
///
/// - Parameters live in param groups, in a fixed order; each group has its own
///   hyperparameters, filled from ``defaults`` where not given.
/// - State is kept per parameter under torch's key names and created lazily at the
///   parameter's first step with a gradient; parameters whose `grad` is `nil` are skipped.
/// - ``step()`` updates every group; ``step(closure:)`` first calls the closure (which
///   should recompute the gradients) and returns its loss.
/// - ``stateDict()`` and ``loadStateDict(_:)`` match parameters by position, as torch does.
///
/// A conforming type supplies its defaults, validation, state type and ``update(_:)``, the
/// step of one group; everything else comes from this protocol.
public protocol Optimizer<Scalar>: SchedulableOptimizer {
    associatedtype Scalar: TensorScalar
    associatedtype Options: OptimizerOptions
    associatedtype State: ParameterState<Scalar>

    /// The reference class name: `AdamW`, `Adam`, `HFAdamW`, ...; a fixture's `optimizer`.
    static var torchName: String { get }
    /// The defaults of torch's constructor.
    static var standardDefaults: Options { get }
    /// The param groups, the per-parameter state, the defaults, the CPU capability and the
    /// parallelism: everything an optimizer stores.
    var storage: OptimizerStorage<Options, State> { get set }

    /// The designated initializer: stores `storage` and nothing else. Build optimizers with
    /// ``init(groups:defaults:cpuCapability:)``, which validates and adds the groups.
    init(storage: OptimizerStorage<Options, State>)

    /// Throws torch's error for hyperparameters torch rejects.
    static func validate(_ options: Options) throws
    /// Throws torch's error for parameters the optimizer cannot update (Muon: not 2-D);
    /// by default every parameter is accepted.
    static func validate(parameters: [Parameter<Scalar>]) throws
    /// The state keys a parameter in a group with `options` has after its first step.
    static func stateKeys(for options: Options) -> [String]
    /// Completes construction once the first groups are added (Adagrad gives every
    /// parameter its state here, as torch's constructor does); by default, nothing.
    func didAddInitialGroups() throws
    /// Performs the update of one group: torch's loop body of `step()`.
    func update(_ group: ParamGroup<Options, Scalar>) throws
    /// Performs one step, calling `closure` as the algorithm needs; returns the loss.
    func step(closure: () throws -> Double) throws -> Double
}

extension Optimizer {
    /// Creates the optimizer over `groups`; a group's options default to `defaults`.
    ///
    /// - Parameters:
    ///   - groups: the param groups, at least one, in order.
    ///   - defaults: the hyperparameters of torch's constructor, which ``addParamGroup(_:options:)`` fills a group from.
    ///   - cpuCapability: the capability whose kernels are reproduced.
    /// - Throws: torch's validation errors for `defaults` and every group, and
    ///   `ValueError("optimizer got an empty parameter list")` when there are no groups.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Self.standardDefaults,
        cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.init(storage: OptimizerStorage(defaults: defaults, cpuCapability: cpuCapability))
        try initializeGroups(groups)
        try didAddInitialGroups()
    }

    /// Creates the optimizer over one group of `params` with `options`, which are also its
    /// defaults: torch's `Adamax(params, lr=1e-3)` is `Adamax(params, .init(lr: 1e-3))`.
    ///
    /// - Parameters:
    ///   - params: the parameters, in order.
    ///   - options: the hyperparameters.
    ///   - cpuCapability: the capability whose kernels are reproduced.
    public init(
        _ params: [Parameter<Scalar>], _ options: Options = Self.standardDefaults,
        cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options, cpuCapability: cpuCapability)
    }

    /// The hyperparameters a group takes where it does not name its own.
    public var defaults: Options { storage.defaults }

    /// The CPU capability whose kernels are reproduced: whether torch's kernels fuse their
    /// multiply-adds, and the SIMD width of its fused kernels.
    public var cpuCapability: TorchCPUCapability {
        get { storage.cpuCapability }
        set { storage.cpuCapability = newValue }
    }

    /// torch's tensor `sqrt` reproduced: correctly rounded by default; a replay sets the one
    /// its fixture's fingerprint names.
    public var tensorSqrt: TorchSqrt {
        get { storage.tensorSqrt }
        set { storage.tensorSqrt = newValue }
    }

    /// How each tensor's element loop may be split across threads; results are the same bits.
    public var parallelism: Parallelism {
        get { storage.parallelism }
        set { storage.parallelism = newValue }
    }

    public func didAddInitialGroups() throws {}
}

extension Optimizer {
    /// The param groups, in order.
    public var paramGroups: [ParamGroup<Options, Scalar>] { storage.paramGroups }

    /// Every parameter, in the optimizer's order (groups concatenated).
    public var parameters: [Parameter<Scalar>] { storage.paramGroups.flatMap(\.params) }

    /// Adds the first groups.
    ///
    /// - Throws: `ValueError("optimizer got an empty parameter list")` when there are no
    ///   groups, and everything ``addParamGroup(_:options:)`` throws.
    func initializeGroups(_ groups: [ParamGroup<Options, Scalar>]) throws {
        guard !groups.isEmpty else { throw OptimizerError(.valueError, "optimizer got an empty parameter list") }
        for group in groups { try addParamGroup(group.params, options: group.options) }
    }

    /// Adds a param group (torch's `add_param_group`), e.g. when unfreezing layers.
    ///
    /// - Parameters:
    ///   - params: the group's parameters, none of them in another group.
    ///   - options: the group's hyperparameters; `nil` takes ``defaults``.
    /// - Throws: torch's validation errors, and `ValueError("some parameters appear in more
    ///   than one parameter group")`.
    ///
    /// Differs from PyTorch: a parameter listed twice in one group is an error here; torch
    /// warns ("in future, this will cause an error") and then steps that parameter twice.
    public func addParamGroup(_ params: [Parameter<Scalar>], options: Options? = nil) throws {
        let options = options ?? defaults
        try Self.validate(options)
        try Self.validate(parameters: params)
        let added = params.map(ObjectIdentifier.init)
        guard Set(added).count == added.count else {
            throw OptimizerError(.valueError, "optimizer contains a parameter group with duplicate parameters")
        }
        guard storage.parameterIDs.isDisjoint(with: added) else {
            throw OptimizerError(.valueError, "some parameters appear in more than one parameter group")
        }
        storage.appendGroup(ParamGroup(params: params, options: options))
    }

    /// Sets the hyperparameters of group `index` (as assigning `param_groups[i][key]`).
    public func setOptions(_ options: Options, forGroup index: Int) throws {
        guard storage.paramGroups.indices.contains(index) else {
            throw OptimizerError(.runtimeError, "no param group \(index); the optimizer has \(storage.paramGroups.count)")
        }
        try Self.validate(options)
        storage.paramGroups[index].options = options
    }

    /// Performs one optimization step over every group.
    public func step() throws {
        for group in storage.paramGroups { try update(group) }
    }

    /// Clears every gradient: to `nil` (torch's default `set_to_none=True`) or to zeros.
    public func zeroGrad(setToNone: Bool = true) {
        for parameter in parameters {
            if setToNone {
                parameter.grad = nil
                parameter.sparseGradMask = nil
            } else if parameter.grad != nil {
                parameter.grad = [Scalar](repeating: 0, count: parameter.count)
                // A sparse gradient's `zero_()` leaves it sparse, holding no entry.
                if parameter.sparseGradMask != nil { parameter.sparseGradMask = [Bool](repeating: false, count: parameter.count) }
            }
        }
    }

    // MARK: State

    /// The state of `parameter` under torch's keys, or `nil` before its first step.
    public func state(of parameter: Parameter<Scalar>) -> [String: StateValue<Scalar>]? {
        storage.state[ObjectIdentifier(parameter)]?.torchState(parameterShape: parameter.shape)
    }

    /// Replaces the state of `parameter` from torch's entries; `nil` removes it.
    public func setState(_ entries: [String: StateValue<Scalar>]?, of parameter: Parameter<Scalar>) throws {
        guard let entries else {
            storage.state[ObjectIdentifier(parameter)] = nil
            return
        }
        storage.state[ObjectIdentifier(parameter)] = try Self.state(from: entries, of: parameter)
    }

    /// A state from torch's entries; an unknown key is torch's `KeyError`, naming the optimizer.
    private static func state(from entries: [String: StateValue<Scalar>], of parameter: Parameter<Scalar>) throws -> State {
        do {
            return try State(torchState: entries, parameterShape: parameter.shape)
        } catch let error as OptimizerError where error.kind == .keyError && error.message.hasPrefix("keeps no state") {
            throw OptimizerError(.keyError, "\(torchName) \(error.message)")
        }
    }

    /// Runs `body` on the state of `parameter`, which is `nil` before its first step.
    public func withState<R>(of parameter: Parameter<Scalar>, _ body: (inout State?) throws -> R) rethrows -> R {
        try body(&storage.state[ObjectIdentifier(parameter)])
    }

    /// torch's `state_dict()`.
    public func stateDict() -> StateDict<Options, Scalar> {
        var state: [Int: [String: StateValue<Scalar>]] = [:]
        var groups: [StateDict<Options, Scalar>.Group] = []
        var position = 0
        for group in storage.paramGroups {
            var indices: [Int] = []
            for parameter in group.params {
                if let entries = self.state(of: parameter) { state[position] = entries }
                indices.append(position)
                position += 1
            }
            groups.append(.init(options: group.options, params: indices))
        }
        return StateDict(state: state, paramGroups: groups)
    }

    /// torch's `load_state_dict`: hyperparameters and state, matched by position.
    ///
    /// Nothing changes unless the whole dictionary fits.
    public func loadStateDict(_ dict: StateDict<Options, Scalar>) throws {
        let groups = storage.paramGroups
        guard dict.paramGroups.count == groups.count else {
            throw OptimizerError(.valueError, "loaded state dict has a different number of parameter groups")
        }
        for (saved, group) in zip(dict.paramGroups, groups) where saved.params.count != group.params.count {
            throw OptimizerError(
                .valueError, "loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        }
        let order = parameters
        var newState: [ObjectIdentifier: State] = [:]
        for (savedGroup, group) in zip(dict.paramGroups, groups) {
            try Self.validate(savedGroup.options)
            for (savedIndex, parameter) in zip(savedGroup.params, group.params) {
                guard let entries = dict.state[savedIndex] else { continue }
                guard order.indices.contains(savedIndex) else {
                    throw OptimizerError(.keyError, "state dict names parameter \(savedIndex), beyond the \(order.count) parameters")
                }
                newState[ObjectIdentifier(parameter)] = try Self.state(from: entries, of: parameter)
            }
        }
        for index in storage.paramGroups.indices { storage.paramGroups[index].options = dict.paramGroups[index].options }
        storage.state = newState
    }
}

extension Optimizer {
    public static func validate(parameters: [Parameter<Scalar>]) throws {}

    /// The default closure step: evaluate the closure once, then step (torch's pattern for
    /// every optimizer but LBFGS).
    public func step(closure: () throws -> Double) throws -> Double {
        let loss = try closure()
        try step()
        return loss
    }
}
