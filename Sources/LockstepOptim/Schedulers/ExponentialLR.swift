import Foundation

/// Decays each group's learning rate by `gamma` every epoch (torch's `ExponentialLR`).
///
/// ```
/// lr_e = lr_{e−1} · γ          (e ≥ 1; the initial step leaves lr unchanged)
/// closed form: lr_e = base_lr · γ^e
/// ```
///
/// `gamma` is required. After `e` steps the chained product rounds `e` times, so it
/// differs from the closed form in the last bits; torch chains, and so does this.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ExponentialLR.html
public final class ExponentialLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var gamma: Double?

        public static var torchDefaults: Self { Self(gamma: nil) }
        public init(gamma: Double?) { self.gamma = gamma }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case gamma
        }
    }

    public static let torchName = "ExponentialLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let gamma: Double

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        gamma = try required(options.gamma, "gamma", of: Self.torchName)
        try start()
    }

    public convenience init(_ groups: ScheduledGroups, gamma: Double) throws {
        try self.init(groups, options: Options(gamma: gamma))
    }

    public func computeLR() throws -> [Double] {
        let lrs = groups.learningRates
        return progress.isInitial ? lrs : lrs.map { $0 * gamma }
    }

    public func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * Foundation.pow(gamma, Double(lastEpoch)) }
    }
}
