import Foundation

/// Decays each group's learning rate by `gamma` at each milestone epoch (torch's `MultiStepLR`).
///
/// ```
/// lr_e = lr_{e−1} · γ^c    where c is how often e appears in milestones (0: unchanged)
/// closed form: lr_e = base_lr · γ^(number of milestones ≤ e)
/// ```
///
/// Defaults: `gamma = 0.1`; `milestones` is required (a list of epochs, repeats allowed).
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.MultiStepLR.html
public final class MultiStepLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var milestones: [Int]?
        public var gamma: Double

        public static var torchDefaults: Self { Self(milestones: nil) }
        public init(milestones: [Int]?, gamma: Double = 0.1) {
            self.milestones = milestones
            self.gamma = gamma
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case milestones, gamma
        }
    }

    public static let torchName = "MultiStepLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    /// torch's `Counter(milestones)`.
    public let milestoneCounts: [Int: Int]
    public let gamma: Double

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        let milestones = try required(options.milestones, "milestones", of: Self.torchName)
        milestoneCounts = milestones.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        gamma = options.gamma
        try start()
    }

    public convenience init(_ groups: ScheduledGroups, milestones: [Int], gamma: Double = Options.torchDefaults.gamma) throws {
        try self.init(groups, options: Options(milestones: milestones, gamma: gamma))
    }

    public func computeLR() throws -> [Double] {
        let lrs = groups.learningRates
        guard let count = milestoneCounts[lastEpoch] else { return lrs }
        return lrs.map { $0 * Foundation.pow(gamma, Double(count)) }
    }

    public func closedFormLR() -> [Double]? {
        let passed = milestoneCounts.filter { $0.key <= lastEpoch }.values.reduce(0, +)  // bisect_right
        return baseLRs.map { $0 * Foundation.pow(gamma, Double(passed)) }
    }
}
