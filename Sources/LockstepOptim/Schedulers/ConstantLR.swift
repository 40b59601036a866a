import Foundation

/// Multiplies each group's learning rate by `factor` until epoch `total_iters`, then
/// restores it (torch's `ConstantLR`).
///
/// ```
/// lr_0 = lr · factor
/// lr_T = lr_{T−1} · (1 / factor)          T = total_iters
/// lr_e = lr_{e−1}                          otherwise
/// closed form: lr_e = base_lr · (factor + [e ≥ T] · (1 − factor))
/// ```
///
/// Defaults: `factor = 1/3`, `total_iters = 5`. `lr · (1/factor)` need not give back
/// the original `lr` bit for bit; torch's does not either.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ConstantLR.html
public final class ConstantLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var factor: Double
        public var totalIters: Int

        public init(factor: Double = 1.0 / 3, totalIters: Int = 5) {
            self.factor = factor
            self.totalIters = totalIters
        }

        public static var torchDefaults: Self { Self() }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case factor, totalIters = "total_iters"
        }
    }

    public static let torchName = "ConstantLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let options: Options

    public init(_ groups: ScheduledGroups, options: Options = Options()) throws {
        guard options.factor <= 1.0, options.factor >= 0 else {
            throw OptimizerError(.valueError, "Constant multiplicative factor expected to be between 0 and 1.")
        }
        self.groups = groups
        self.options = options
        try start()
    }

    public func computeLR() throws -> [Double] {
        let lrs = groups.learningRates
        if lastEpoch == 0 { return lrs.map { $0 * options.factor } }
        if lastEpoch != options.totalIters { return lrs }
        guard options.factor != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
        return lrs.map { $0 * (1.0 / options.factor) }
    }

    public func closedFormLR() -> [Double]? {
        let reached: Double = lastEpoch >= options.totalIters ? 1 : 0
        return baseLRs.map { $0 * (options.factor + reached * (1 - options.factor)) }
    }
}
