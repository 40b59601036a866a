/// AdamW: Adam with decoupled weight decay (torch's `torch.optim.AdamW`, which is
/// `Adam(decoupled_weight_decay=True)` with `weight_decay = 1e-2` by default).
///
/// ```
/// θ ← θ − γλθ,   then Adam's update of m, v and θ (see ``Adam``)
/// ```
///
/// Differs from PyTorch: as ``Adam``.
///
/// Reference: Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019;
/// https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
public final class AdamW<Scalar: TensorScalar>: Optimizer {
    public typealias Options = Adam<Scalar>.Options
    public typealias State = Adam<Scalar>.State

    public static var torchName: String { "AdamW" }
    /// AdamW's defaults: Adam's with `weight_decay = 1e-2` and decoupled decay.
    public static var standardDefaults: Options { Options(weightDecay: 1e-2, decoupledWeightDecay: true) }

    private let adam: Adam<Scalar>
    public var defaults: Options { adam.defaults }
    public var storage: OptimizerStorage<Options, State> {
        get { adam.storage }
        set { adam.storage = newValue }
    }
    /// The CPU capability whose kernels are reproduced (see ``Adam/cpuCapability``).
    public var cpuCapability: TorchCPUCapability {
        get { adam.cpuCapability }
        set { adam.cpuCapability = newValue }
    }

    /// How each tensor's element loop is split across threads (see ``Adam/parallelism``).
    public var parallelism: Parallelism {
        get { adam.parallelism }
        set { adam.parallelism = newValue }
    }

    /// Creates the optimizer over `groups`; each group's options default to `defaults`.
    /// Decoupled decay is forced on every group, as torch's `AdamW.__setstate__` does.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = AdamW.standardDefaults,
        cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        var defaults = defaults
        defaults.decoupledWeightDecay = true
        let groups = groups.map { group -> ParamGroup<Options, Scalar> in
            var group = group
            group.options.decoupledWeightDecay = true
            return group
        }
        adam = try Adam(groups: groups, defaults: defaults, cpuCapability: cpuCapability)
    }

    /// Creates the optimizer over one group of `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = AdamW.standardDefaults.lr,
        betas: Betas = AdamW.standardDefaults.betas, eps: Double = AdamW.standardDefaults.eps,
        weightDecay: Double = AdamW.standardDefaults.weightDecay, amsgrad: Bool = AdamW.standardDefaults.amsgrad,
        maximize: Bool = AdamW.standardDefaults.maximize, fused: Bool? = nil
    ) throws {
        let options = Options(
            lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize, fused: fused,
            decoupledWeightDecay: true)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    public static func validate(_ options: Options) throws { try Adam<Scalar>.validate(options) }
    public static func stateKeys(for options: Options) -> [String] { Adam<Scalar>.stateKeys(for: options) }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        var group = group
        group.options.decoupledWeightDecay = true
        try adam.update(group)
    }
}
