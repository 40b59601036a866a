import Foundation

/// A learning-rate scheduler with PyTorch's model (`torch.optim.lr_scheduler.LRScheduler`).
///
/// - It is constructed on an optimizer's param groups (``ScheduledGroups``). Construction
///   records each group's `initial_lr` (the group's `lr`, unless an earlier scheduler set
///   it), takes them as ``baseLRs``, and performs the initial step (epoch 0), which may
///   already change `lr` (``LinearLR`` multiplies it by `start_factor`).
/// - ``step()``, called after each `optimizer.step()`, advances ``lastEpoch`` and writes
///   the next learning rates into the groups; ``lastLR`` is `get_last_lr()`.
/// - Learning rates are computed as torch computes them: in `Double`, by torch's
///   *chainable* formulas of `get_lr()` (each new `lr` from the group's current one), not
///   the closed forms, operation by operation, with the C library's `cos` and `pow` that
///   Python's `math.cos` and `**` call. The closed forms (``closedFormLR()``) are used only
///   where torch uses them: when ``SequentialLR`` restarts a scheduler at a milestone.
///
/// A conforming type supplies ``computeLR()`` (torch's `get_lr()`), and where torch has
/// them ``closedFormLR()`` and its own ``step()``; the rest comes from this protocol.
///
/// Differs from PyTorch: resuming with `last_epoch ≥ 0` and `step(epoch)` are not offered.
public protocol LRScheduler: AnyObject {
    /// torch's class name: `StepLR`, `OneCycleLR`, ...
    static var torchName: String { get }
    /// The param groups this scheduler changes, shared with every scheduler on the same optimizer.
    var groups: ScheduledGroups { get }
    /// torch's bookkeeping: `last_epoch`, `_step_count`, `base_lrs`, `_last_lr`.
    var progress: SchedulerProgress { get set }

    /// torch's `get_lr()`: the learning rates for ``lastEpoch``, from the groups' current ones.
    func computeLR() throws -> [Double]
    /// torch's `_get_closed_form_lr()`, `nil` where torch has none.
    func closedFormLR() -> [Double]?
    /// Advances one epoch (one batch, for per-step schedules) and sets the groups' `lr`.
    func step() throws
    /// Takes back the epoch counted by the initial step (torch's `SequentialLR.recursive_undo`).
    func undoInitialStep()
}

/// The counters and learning rates torch's `LRScheduler` base class keeps.
public struct SchedulerProgress: Sendable, Equatable {
    /// `last_epoch`: the epoch whose learning rates are in the groups (0 after construction).
    public internal(set) var lastEpoch = -1
    /// `_step_count`: calls of ``LRScheduler/step()`` since the initial step, plus one.
    public internal(set) var stepCount = 0
    /// `_is_initial`: true while the initial step runs.
    public internal(set) var isInitial = false
    /// `base_lrs`: each group's `initial_lr` when the scheduler was constructed.
    public internal(set) var baseLRs: [Double] = []
    /// `_last_lr`: each group's `lr` after the latest step.
    public internal(set) var lastLR: [Double] = []

    public init() {}
}

extension LRScheduler {
    /// `last_epoch`.
    public var lastEpoch: Int { progress.lastEpoch }
    /// `get_last_lr()`: each group's `lr` after the latest step.
    public var lastLR: [Double] { progress.lastLR }
    /// `base_lrs`.
    public var baseLRs: [Double] { progress.baseLRs }

    public func closedFormLR() -> [Double]? { nil }

    /// torch's `LRScheduler.step()`.
    public func step() throws {
        progress.stepCount += 1
        try updateLR(epoch: nil)
    }

    public func undoInitialStep() { progress.lastEpoch -= 1 }

    /// torch's `LRScheduler.__init__` with `last_epoch = -1`: records `initial_lr` and
    /// `base_lrs`, then performs the initial step. Conforming initializers call it last.
    func start() throws {
        groups.setDefault(.initialLR)
        progress.baseLRs = try groups.values(.initialLR)
        progress.lastEpoch = -1
        try initialStep()
    }

    /// torch's `_initial_step()`: `step()` with `_is_initial` set.
    func initialStep() throws {
        progress.stepCount = 0
        progress.isInitial = true
        defer { progress.isInitial = false }
        try step()
    }

    /// torch's `_update_lr(epoch)`: the next epoch (`nil`) by ``computeLR()``, or epoch
    /// `epoch` by the closed form where there is one.
    func updateLR(epoch: Int?) throws {
        let values: [Double]
        if let epoch {
            progress.lastEpoch = epoch
            values = try closedFormLR() ?? computeLR()
        } else {
            progress.lastEpoch += 1
            values = try computeLR()
        }
        try groups.setLearningRates(values)
        progress.lastLR = groups.learningRates
    }
}

/// An optimizer's param groups as schedulers see them (torch's `optimizer.param_groups`):
/// `lr` and the momentum live in the optimizer; the entries schedulers add to a group
/// (`initial_lr`, and ``OneCycleLR``'s `max_lr`, `min_lr`, `max_momentum`, `base_momentum`)
/// live here. Every scheduler on one optimizer must share one instance, as torch's share
/// the group dictionaries.
public final class ScheduledGroups {
    /// A number a scheduler adds to each param group, under torch's key.
    public enum Entry: String, Sendable, CaseIterable {
        case initialLR = "initial_lr"
        case maxLR = "max_lr"
        case minLR = "min_lr"
        case maxMomentum = "max_momentum"
        case baseMomentum = "base_momentum"
    }

    /// The optimizer whose groups these are.
    public let optimizer: any SchedulableOptimizer
    private var entries: [[Entry: Double]]

    public init(_ optimizer: any SchedulableOptimizer) {
        self.optimizer = optimizer
        entries = Array(repeating: [:], count: optimizer.groupCount)
    }

    /// The number of param groups.
    public var count: Int { optimizer.groupCount }

    /// Each group's `lr`.
    public var learningRates: [Double] { (0..<count).map { optimizer.learningRate(group: $0) } }

    /// Sets each group's `lr` (torch: `zip(param_groups, values, strict=True)`).
    func setLearningRates(_ values: [Double]) throws {
        guard values.count == count else {
            throw OptimizerError(.valueError, "zip() argument 2 is shorter than argument 1")
        }
        for (index, lr) in values.enumerated() { try optimizer.setLearningRate(lr, group: index) }
    }

    /// Entry `entry` of group `index`, `nil` when no scheduler has set it.
    public func value(_ entry: Entry, group index: Int) -> Double? { entries[index][entry] }

    /// Entry `entry` of every group; a group without it is torch's `KeyError`.
    func values(_ entry: Entry) throws -> [Double] {
        try entries.indices.map { index in
            guard let value = entries[index][entry] else { throw OptimizerError(.keyError, "'\(entry.rawValue)'") }
            return value
        }
    }

    func set(_ entry: Entry, _ value: Double, group index: Int) { entries[index][entry] = value }

    /// `group.setdefault("initial_lr", group["lr"])` for every group.
    func setDefault(_ entry: Entry) {
        for index in entries.indices where entries[index][entry] == nil {
            entries[index][entry] = optimizer.learningRate(group: index)
        }
    }
}

/// Python's `%` on integers: the result has the divisor's sign.
func pythonModulo(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}
