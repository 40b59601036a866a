import Foundation

/// Decays each group's learning rate along `(1 − e/T)^power` to zero at epoch
/// `T = total_iters` (torch's `PolynomialLR`).
///
/// torch computes it recursively, each epoch from the group's current `lr`:
///
/// ```
/// lr_e = lr_{e−1} · ((1 − e/T) / (1 − (e − 1)/T))^power     for 1 ≤ e ≤ T
/// lr_e = lr_{e−1}                                           for e > T
/// closed form: lr_e = base_lr · (1 − min(T, e)/T)^power
/// ```
///
/// Defaults: `total_iters = 5`, `power = 1`.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.PolynomialLR.html
public final class PolynomialLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var totalIters: Int
        public var power: Double

        public init(totalIters: Int = 5, power: Double = 1.0) {
            self.totalIters = totalIters
            self.power = power
        }

        public static var torchDefaults: Self { Self() }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case totalIters = "total_iters", power
        }
    }

    public static let torchName = "PolynomialLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let options: Options

    public init(_ groups: ScheduledGroups, options: Options = Options()) throws {
        self.groups = groups
        self.options = options
        try start()
    }

    public func computeLR() throws -> [Double] {
        let t = options.totalIters
        let lrs = groups.learningRates
        if progress.isInitial || lastEpoch > t { return lrs }
        guard t != 0 else { throw OptimizerError(.zeroDivisionError, "division by zero") }
        let (e, total) = (Double(lastEpoch), Double(t))
        let factor = Foundation.pow((1.0 - e / total) / (1.0 - (e - 1) / total), options.power)
        return lrs.map { $0 * factor }
    }

    public func closedFormLR() -> [Double]? {
        let t = options.totalIters
        guard t != 0 else { return nil }
        let factor = Foundation.pow(1.0 - Double(min(t, lastEpoch)) / Double(t), options.power)
        return baseLRs.map { $0 * factor }
    }
}
