import Foundation

/// Changes each group's learning rate linearly from `start_factor · lr` to
/// `end_factor · lr` over `total_iters` epochs (torch's `LinearLR`; a warm-up when
/// `start_factor < end_factor`).
///
/// torch computes it recursively, each epoch from the group's current `lr`:
///
/// ```
/// lr_0 = lr · s
/// lr_e = lr_{e−1} · (1 + (f − s) / (T·s + (e − 1)·(f − s)))     for 1 ≤ e ≤ T
/// lr_e = lr_{e−1}                                                for e > T
/// closed form: lr_e = base_lr · (s + (f − s) · min(T, e) / T)
/// ```
///
/// with `s = start_factor`, `f = end_factor`, `T = total_iters`.
/// Defaults: `start_factor = 1/3`, `end_factor = 1`, `total_iters = 5`.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LinearLR.html
public final class LinearLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var startFactor: Double
        public var endFactor: Double
        public var totalIters: Int

        public init(startFactor: Double = 1.0 / 3, endFactor: Double = 1.0, totalIters: Int = 5) {
            self.startFactor = startFactor
            self.endFactor = endFactor
            self.totalIters = totalIters
        }

        public static var torchDefaults: Self { Self() }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case startFactor = "start_factor", endFactor = "end_factor", totalIters = "total_iters"
        }
    }

    public static let torchName = "LinearLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let options: Options

    public init(_ groups: ScheduledGroups, options: Options = Options()) throws {
        guard options.startFactor <= 1.0, options.startFactor > 0 else {
            throw OptimizerError(
                .valueError, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        }
        guard options.endFactor <= 1.0, options.endFactor >= 0 else {
            throw OptimizerError(.valueError, "Ending multiplicative factor expected to be between 0 and 1.")
        }
        self.groups = groups
        self.options = options
        try start()
    }

    public func computeLR() throws -> [Double] {
        let (s, f, t) = (options.startFactor, options.endFactor, options.totalIters)
        let lrs = groups.learningRates
        if lastEpoch == 0 { return lrs.map { $0 * s } }
        if progress.isInitial || lastEpoch > t { return lrs }
        let denominator = Double(t) * s + Double(lastEpoch - 1) * (f - s)
        guard denominator != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
        return lrs.map { $0 * (1.0 + (f - s) / denominator) }
    }

    public func closedFormLR() -> [Double]? {
        let (s, f, t) = (options.startFactor, options.endFactor, options.totalIters)
        guard t != 0 else { return nil }
        return baseLRs.map { $0 * (s + (f - s) * Double(min(t, lastEpoch)) / Double(t)) }
    }
}
