/// AdamW: Adam with decoupled weight decay (torch's `torch.optim.AdamW`, which is
/// `Adam(decoupled_weight_decay=True)` with `weight_decay = 1e-2` by default).
///
/// ```
/// θ ← θ − γλθ,   then Adam's update of m, v and θ (see ``Adam``)
/// ```
///
/// It shares Adam's ``Adam/Options``, ``Adam/State`` and kernel. `Options()` are Adam's
/// defaults (`weight_decay = 0`): start from ``standardDefaults`` for torch's `AdamW(...)`.
///
/// Differs from PyTorch: as ``Adam``.
///
/// Reference: Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019;
/// https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
public final class AdamW<Scalar: TensorScalar>: PerParameterOptimizer, TensorArgumentChecking {
    public typealias Options = Adam<Scalar>.Options
    public typealias State = Adam<Scalar>.State

    public static var torchName: String { "AdamW" }
    /// AdamW's defaults: Adam's with `weight_decay = 1e-2` and decoupled decay.
    public static var standardDefaults: Options { Options(weightDecay: 1e-2, decoupledWeightDecay: true) }
    public var storage: OptimizerStorage<Options, State>

    /// Stores `storage` with decoupled decay forced on its defaults and groups, as torch's
    /// AdamW passes `decoupled_weight_decay=True` to Adam.
    public init(storage: OptimizerStorage<Options, State>) {
        self.storage = OptimizerStorage(
            defaults: Self.decoupled(storage.defaults), cpuCapability: storage.cpuCapability,
            parallelism: storage.parallelism)
        self.storage.tensorSqrt = storage.tensorSqrt
        self.storage.paramGroups = storage.paramGroups
        self.storage.state = storage.state
        forceDecoupledWeightDecay()
    }

    /// Decoupled decay on the first groups, whatever they say (a group's options stand for
    /// every key, where torch's group takes the ones it does not name from the defaults).
    public func didAddInitialGroups() throws { forceDecoupledWeightDecay() }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    public static func validate(_ options: Options) throws { try Adam<Scalar>.validate(options) }
    public static func checkTensorArguments(_ tensors: Set<String>, _ options: Options) throws {
        try Adam<Scalar>.checkTensorArguments(tensors, options)
    }
    public static func sparseGradients(_ options: Options) -> SparseGradients { Adam<Scalar>.sparseGradients(options) }
    public static func stateKeys(for options: Options) -> [String] { Adam<Scalar>.stateKeys(for: options) }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        .initial(for: parameter, options: options)
    }

    /// Adam's step with decoupled decay, whatever the group says: torch's
    /// `AdamW.__setstate__` forces it on every group.
    public func apply(_ p: inout ParameterStep<Scalar, State>, options: Options) {
        AdamKernel.apply(&p, options: Self.decoupled(options))
    }

    private func forceDecoupledWeightDecay() {
        for index in storage.paramGroups.indices { storage.paramGroups[index].options.decoupledWeightDecay = true }
    }

    private static func decoupled(_ options: Options) -> Options {
        var options = options
        options.decoupledWeightDecay = true
        return options
    }
}
