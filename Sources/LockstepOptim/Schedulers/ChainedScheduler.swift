/// Steps a list of schedulers together (torch's `ChainedScheduler`): each call of
/// ``step()`` calls every scheduler's `step()`, in order, so their chained factors multiply,
/// e.g. ``ConstantLR`` then ``ExponentialLR``:
///
/// ```
/// step():  schedulers[0].step(); schedulers[1].step(); ...   (each from the lr the previous left)
/// lr_e = base_lr · factor · γ^e   for e < total_iters,   base_lr · γ^e after   (up to rounding)
/// ```
///
/// Construction steps nothing (torch's class does not call `LRScheduler.__init__`): the
/// sub-schedulers were constructed, and each took its initial step, on the same groups
/// before, in order; ``lastLR`` is the groups' current `lr`. Each scheduler rounds its own
/// product, so the chain is reproduced bit for bit only in this order. Inside
/// ``SequentialLR``, torch's `_initial_step()` on a chain steps its schedulers normally
/// (only the chain is marked initial), and so does this.
///
/// `ReduceLROnPlateau` cannot be chained (its `step` needs the metric); torch's message.
///
/// Differs from PyTorch: the "same optimizer" check compares ``ScheduledGroups``
/// instances, and its message names no optimizer object.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ChainedScheduler.html
public final class ChainedScheduler: LRScheduler {
    public static let torchName = "ChainedScheduler"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let schedulers: [any LRScheduler]

    /// torch's `ChainedScheduler(schedulers, optimizer=None)`: `groups` defaults to the
    /// first scheduler's.
    public init(_ schedulers: [any LRScheduler], groups: ScheduledGroups? = nil) throws {
        guard let first = schedulers.first else {
            throw OptimizerError(
                .valueError, "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        }
        let shared = groups ?? first.groups
        try checkSubSchedulers(schedulers, on: shared, of: Self.torchName)
        self.groups = shared
        self.schedulers = schedulers
        progress.lastLR = shared.learningRates
    }

    /// torch's `ChainedScheduler` has no `get_lr()` of its own (the base class's raises).
    public func computeLR() throws -> [Double] {
        throw OptimizerError(.runtimeError, "NotImplementedError: ChainedScheduler has no get_lr()")
    }

    public func step() throws {
        for scheduler in schedulers { try scheduler.step() }
        progress.lastLR = groups.learningRates
    }

    /// torch's `SequentialLR.recursive_undo` descends into a chain's schedulers.
    public func undoInitialStep() {
        for scheduler in schedulers { scheduler.undoInitialStep() }
    }
}

/// The checks `SequentialLR` and `ChainedScheduler` make of each sub-scheduler, in torch's
/// order: `ReduceLROnPlateau` is refused, then one on other groups.
func checkSubSchedulers(_ schedulers: [any LRScheduler], on groups: ScheduledGroups, of composite: String) throws {
    for (index, scheduler) in schedulers.enumerated() {
        if scheduler is ReduceLROnPlateau {
            throw OptimizerError(
                .valueError,
                "\(composite) does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index \(index) in the given schedulers sequence.")
        }
        if scheduler.groups !== groups {
            throw OptimizerError(
                .valueError,
                "\(composite) expects all schedulers to belong to the same optimizer, but got scheduler \(type(of: scheduler).torchName) at index \(index) has another optimizer.")
        }
    }
}
