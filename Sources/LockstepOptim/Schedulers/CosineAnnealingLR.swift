import Foundation

/// Anneals each group's learning rate along a cosine from its initial value to `eta_min`
/// over `T_max` epochs, and back up over the next `T_max` (torch's `CosineAnnealingLR`).
///
/// torch computes it recursively, each epoch from the group's current `lr`:
///
/// ```
/// lr_e = (1 + cos(π·e / T_max)) / (1 + cos(π·(e − 1) / T_max)) · (lr_{e−1} − η_min) + η_min
/// lr_e = lr_{e−1} + (base_lr − η_min) · (1 − cos(π / T_max)) / 2     if (e − 1 − T_max) mod 2T_max = 0
/// closed form (SGDR without restarts):
///      lr_e = η_min + (base_lr − η_min) · (1 + cos(π·e / T_max)) / 2
/// ```
///
/// The recursion drifts from the closed form in the last bits; torch's `lr` is the
/// recursion's, and so is this one's.
///
/// Defaults: `eta_min = 0`; `T_max` is required.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s (`T_max = 0` is Python's
/// `ZeroDivisionError` here too).
///
/// References: Loshchilov & Hutter, *SGDR: Stochastic Gradient Descent with Warm
/// Restarts*, ICLR 2017; https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CosineAnnealingLR.html
public final class CosineAnnealingLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var tMax: Int?
        public var etaMin: Double

        public static var torchDefaults: Self { Self(tMax: nil) }
        public init(tMax: Int?, etaMin: Double = 0) {
            self.tMax = tMax
            self.etaMin = etaMin
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case tMax = "T_max", etaMin = "eta_min"
        }
    }

    public static let torchName = "CosineAnnealingLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let tMax: Int
    public let etaMin: Double

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        tMax = try required(options.tMax, "T_max", of: Self.torchName)
        etaMin = options.etaMin
        try start()
    }

    public convenience init(_ groups: ScheduledGroups, tMax: Int, etaMin: Double = Options.torchDefaults.etaMin) throws {
        try self.init(groups, options: Options(tMax: tMax, etaMin: etaMin))
    }

    public func computeLR() throws -> [Double] {
        let lrs = groups.learningRates
        if progress.isInitial { return lrs }
        guard tMax != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
        let (e, t) = (Double(lastEpoch), Double(tMax))
        if progress.stepCount == 1, lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(e * .pi / t)) / 2 }
        }
        if pythonModulo(lastEpoch - 1 - tMax, 2 * tMax) == 0 {
            return zip(baseLRs, lrs).map { base, lr in lr + (base - etaMin) * (1 - cos(.pi / t)) / 2 }
        }
        return lrs.map { lr in (1 + cos(.pi * e / t)) / (1 + cos(.pi * (e - 1) / t)) * (lr - etaMin) + etaMin }
    }

    public func closedFormLR() -> [Double]? {
        guard tMax != 0 else { return nil }
        return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }
}
