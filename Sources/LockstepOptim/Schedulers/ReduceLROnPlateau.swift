/// Reduces each group's learning rate by `factor` when a metric has stopped improving
/// (torch's `ReduceLROnPlateau`). It is stepped with the metric, once per epoch
/// (``step(_:)``), not by the epoch count alone.
///
/// ```
/// better(a, best):  min, rel: a < best · (1.0 − threshold)     min, abs: a < best − threshold
///                   max, rel: a > best · (threshold + 1.0)     max, abs: a > best + threshold
/// step(metric):     if better(metric, best) { best = metric; bad = 0 } else { bad += 1 }
///                   if cooldown_counter > 0 { cooldown_counter −= 1; bad = 0 }
///                   if bad > patience { reduce; cooldown_counter = cooldown; bad = 0 }
/// reduce, per group g:  new = max(lr · factor, min_lr[g]);  lr = new  only if lr − new > eps
/// ```
///
/// `best` starts at the mode's worst value (`inf` for min, `−inf` for max). Construction
/// changes no learning rate and writes nothing into the groups (torch's class does not call
/// `LRScheduler.__init__`: no `initial_lr`, no initial step); ``lastEpoch`` starts at 0.
/// Every comparison and product is a Python float operation in `Double`, in torch's order;
/// `max` is Python's (the first argument unless the second is larger).
///
/// Defaults: `mode = "min"`, `factor = 0.1`, `patience = 10`, `threshold = 1e-4`,
/// `threshold_mode = "rel"`, `cooldown = 0`, `min_lr = 0` (one value, or one per group),
/// `eps = 1e-8`.
///
/// Differs from PyTorch: `step(metrics, epoch)` with an explicit epoch is not offered; the
/// metric is a `Double` (torch takes `float(metrics)` of a number or 0-d tensor).
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html
public final class ReduceLROnPlateau: LRScheduler {
    /// Whether the monitored quantity should fall (`min`, a loss) or rise (`max`, an accuracy).
    public enum Mode: String, Codable, Sendable {
        case min, max
    }

    /// Whether `threshold` is relative to `best` or an absolute margin.
    public enum ThresholdMode: String, Codable, Sendable {
        case rel, abs
    }

    public struct Options: SchedulerOptions {
        public var mode: String
        public var factor: Double
        public var patience: Int
        public var threshold: Double
        public var thresholdMode: String
        public var cooldown: Int
        public var minLR: PerGroupValue
        public var eps: Double

        public static var torchDefaults: Self { Self() }
        public init(
            mode: String = Mode.min.rawValue, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
            thresholdMode: String = ThresholdMode.rel.rawValue, cooldown: Int = 0, minLR: PerGroupValue = .all(0),
            eps: Double = 1e-8
        ) {
            self.mode = mode
            self.factor = factor
            self.patience = patience
            self.threshold = threshold
            self.thresholdMode = thresholdMode
            self.cooldown = cooldown
            self.minLR = minLR
            self.eps = eps
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case mode, factor, patience, threshold, thresholdMode = "threshold_mode", cooldown, minLR = "min_lr", eps
        }
    }

    public static let torchName = "ReduceLROnPlateau"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let mode: Mode
    public let thresholdMode: ThresholdMode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let cooldown: Int
    public let eps: Double
    /// `min_lrs`: each group's lower bound.
    public private(set) var minLRs: [Double]
    /// `default_min_lr`: the single `min_lr` given, `nil` when one per group was given.
    let defaultMinLR: Double?
    /// `best`: the best metric so far (the mode's worst value before the first step).
    public private(set) var best: Double = 0
    /// `num_bad_epochs`: steps since the last improvement, outside cooldown.
    public private(set) var numBadEpochs = 0
    /// `cooldown_counter`: steps of cooldown left after a reduction.
    public private(set) var cooldownCounter = 0

    /// torch's checks in torch's order: `factor`, `min_lr`'s length, `mode`, `threshold_mode`.
    public init(_ groups: ScheduledGroups, options: Options = Options()) throws {
        guard !(options.factor >= 1.0) else { throw OptimizerError(.valueError, "Factor should be < 1.0.") }
        switch options.minLR {
        case .all(let value):
            defaultMinLR = value
            minLRs = Array(repeating: value, count: groups.count)
        case .each(let values):
            guard values.count == groups.count else {
                throw OptimizerError(.valueError, "expected \(groups.count) min_lrs, got \(values.count)")
            }
            defaultMinLR = nil
            minLRs = values
        }
        guard let mode = Mode(rawValue: options.mode) else {
            throw OptimizerError(.valueError, "mode \(options.mode) is unknown!")
        }
        guard let thresholdMode = ThresholdMode(rawValue: options.thresholdMode) else {
            throw OptimizerError(.valueError, "threshold mode \(options.thresholdMode) is unknown!")
        }
        self.groups = groups
        self.mode = mode
        self.thresholdMode = thresholdMode
        factor = options.factor
        patience = options.patience
        threshold = options.threshold
        cooldown = options.cooldown
        eps = options.eps
        progress.lastEpoch = 0
        progress.lastLR = groups.learningRates
        reset()
    }

    /// `in_cooldown`.
    public var inCooldown: Bool { cooldownCounter > 0 }

    /// torch's `_reset()`: `best` back to the mode's worst value, both counters to 0.
    func reset() {
        best = mode == .min ? .infinity : -.infinity
        cooldownCounter = 0
        numBadEpochs = 0
    }

    /// torch's `step(metrics)`: judges `metrics` against the best so far, and reduces the
    /// learning rates after more than `patience` bad epochs outside cooldown.
    public func step(_ metrics: Double) throws {
        progress.lastEpoch += 1
        if isBetter(metrics, than: best) {
            best = metrics
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if inCooldown {
            cooldownCounter -= 1
            numBadEpochs = 0  // torch: ignore any bad epochs in cooldown
        }
        if numBadEpochs > patience {
            try reduceLR()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        progress.lastLR = groups.learningRates
    }

    /// torch's `step()` needs the metric: calling it without one is Python's `TypeError`.
    public func step() throws {
        throw OptimizerError(.typeError, "ReduceLROnPlateau.step() missing 1 required positional argument: 'metrics'")
    }

    /// torch's `ReduceLROnPlateau` has no `get_lr()` (the base class's raises).
    public func computeLR() throws -> [Double] {
        throw OptimizerError(.runtimeError, "NotImplementedError: ReduceLROnPlateau has no get_lr()")
    }

    /// torch's `_is_better(a, best)`.
    func isBetter(_ a: Double, than best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): a < best * (1.0 - threshold)
        case (.min, .abs): a < best - threshold
        case (.max, .rel): a > best * (threshold + 1.0)
        case (.max, .abs): a > best + threshold
        }
    }

    /// torch's `_reduce_lr`: `max(lr · factor, min_lr)` per group, kept only when it lowers
    /// `lr` by more than `eps`. A group added since construction takes the single `min_lr`.
    func reduceLR() throws {
        if groups.count != minLRs.count {
            guard let defaultMinLR else {
                throw OptimizerError(
                    .runtimeError,
                    "The number of param groups in the `optimizer` (\(groups.count)) differs from when `ReduceLROnPlateau` was initialized (\(minLRs.count)), usually due to a new param group being added to the optimizer. Please modify the `min_lrs` field to match the length of the `optimizer` param groups.")
            }
            minLRs = Array(repeating: defaultMinLR, count: groups.count)
        }
        for index in 0..<groups.count {
            let oldLR = groups.optimizer.learningRate(group: index)
            let reduced = oldLR * factor
            let newLR = minLRs[index] > reduced ? minLRs[index] : reduced  // Python's max(reduced, min_lr)
            if oldLR - newLR > eps { try groups.optimizer.setLearningRate(newLR, group: index) }
        }
    }
}
