/// An optimizer that can be built from torch's description of it: the class's own
/// defaults, and groups whose hyperparameters are given under torch's keys. This is what
/// a replay of a recorded trajectory needs. Learning-rate schedulers drive any of them.
public protocol TorchConstructible: Optimizer, SchedulableOptimizer {
    /// The class's defaults, as torch's constructor has them.
    static var standardDefaults: Options { get }
    init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws
}

/// An optimizer whose arithmetic depends on the CPU capability torch's kernels were
/// dispatched to (SIMD width of fused kernels, FMA or not).
public protocol CPUCapabilityDependent: Optimizer {
    var cpuCapability: TorchCPUCapability { get set }
}

extension Adam: TorchConstructible, CPUCapabilityDependent, ParallelOptimizer {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}

extension AdamW: TorchConstructible, CPUCapabilityDependent, ParallelOptimizer {
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}

extension HFAdamW: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
}
