/// Runs schedulers one after another, switching at milestone epochs (torch's `SequentialLR`),
/// e.g. a ``LinearLR`` warm-up followed by ``CosineAnnealingLR``.
///
/// ```
/// epoch e runs schedulers[i], i = number of milestones ≤ e
/// at e = milestones[i−1]: schedulers[i] restarts at its epoch 0 by its closed form
///                         (torch's `_update_lr(0)`; by its `get_lr()` where it has none)
/// otherwise:              schedulers[i].step()
/// ```
///
/// Construction follows torch exactly, which matters bit for bit: the sub-schedulers were
/// constructed (and each took its initial step) on the same groups; then every group's
/// `lr` is reset to its `initial_lr`, every sub-scheduler's epoch is taken back by one,
/// and only the first scheduler takes its initial step again.
///
/// Differs from PyTorch: the "same optimizer" check compares ``ScheduledGroups``
/// instances, and its message names no optimizer object.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.SequentialLR.html
public final class SequentialLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var milestones: [Int]?

        public static var torchDefaults: Self { Self(milestones: nil) }
        public init(milestones: [Int]?) { self.milestones = milestones }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case milestones
        }
    }

    public static let torchName = "SequentialLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let schedulers: [any LRScheduler]
    public let milestones: [Int]

    public init(_ groups: ScheduledGroups, schedulers: [any LRScheduler], milestones: [Int]) throws {
        guard !schedulers.isEmpty else {
            throw OptimizerError(.valueError, "SequentialLR expects at least one scheduler, but got no scheduler.")
        }
        try checkSubSchedulers(schedulers, on: groups, of: Self.torchName)
        guard milestones.count == schedulers.count - 1 else {
            throw OptimizerError(
                .valueError,
                "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers \(schedulers.count) and the number of milestones to be equal to \(milestones.count)")
        }
        self.groups = groups
        self.schedulers = schedulers
        self.milestones = milestones
        progress.lastEpoch = 0
        try groups.setLearningRates(try groups.values(.initialLR))
        undoInitialStep()
        let first = schedulers[bisectRight(milestones, 0)]
        try first.initialStep()
        progress.lastLR = first.lastLR
    }

    /// torch's `SequentialLR` has no `get_lr()` of its own (the base class's raises).
    public func computeLR() throws -> [Double] {
        throw OptimizerError(.runtimeError, "NotImplementedError: SequentialLR has no get_lr()")
    }

    public func step() throws {
        progress.lastEpoch += 1
        let index = bisectRight(milestones, lastEpoch)
        let scheduler = schedulers[index]
        if index > 0, milestones[index - 1] == lastEpoch {
            try scheduler.updateLR(epoch: 0)
        } else {
            try scheduler.step()
        }
        progress.lastLR = scheduler.lastLR
    }

    /// torch's `recursive_undo`: every sub-scheduler's epoch back by one, recursively.
    public func undoInitialStep() {
        for scheduler in schedulers { scheduler.undoInitialStep() }
    }
}

/// Python's `bisect.bisect_right`: the number of elements ≤ `value` in sorted `sorted`.
func bisectRight(_ sorted: [Int], _ value: Int) -> Int {
    var (low, high) = (0, sorted.count)
    while low < high {
        let middle = (low + high) / 2
        if value < sorted[middle] { high = middle } else { low = middle + 1 }
    }
    return low
}
