import Foundation

/// Decays each group's learning rate by `gamma` every `step_size` epochs (torch's `StepLR`).
///
/// ```
/// lr_e = lr_{e−1} · γ      if e > 0 and e mod step_size = 0
/// lr_e = lr_{e−1}          otherwise
/// closed form: lr_e = base_lr · γ^⌊e / step_size⌋
/// ```
///
/// Defaults: `gamma = 0.1`; `step_size` is required. torch validates neither.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html
public final class StepLR: LRScheduler {
    public struct Options: SchedulerOptions {
        public var stepSize: Int?
        public var gamma: Double

        public static var torchDefaults: Self { Self(stepSize: nil) }
        public init(stepSize: Int?, gamma: Double = 0.1) {
            self.stepSize = stepSize
            self.gamma = gamma
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case stepSize = "step_size", gamma
        }
    }

    public static let torchName = "StepLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let stepSize: Int
    public let gamma: Double

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        stepSize = try required(options.stepSize, "step_size", of: Self.torchName)
        gamma = options.gamma
        try start()
    }

    public convenience init(_ groups: ScheduledGroups, stepSize: Int, gamma: Double = Options.torchDefaults.gamma) throws {
        try self.init(groups, options: Options(stepSize: stepSize, gamma: gamma))
    }

    public func computeLR() throws -> [Double] {
        let lrs = groups.learningRates
        if lastEpoch == 0 { return lrs }
        guard stepSize != 0 else { throw OptimizerError(.zeroDivisionError, "integer modulo by zero") }
        if pythonModulo(lastEpoch, stepSize) != 0 { return lrs }
        return lrs.map { $0 * gamma }
    }

    public func closedFormLR() -> [Double]? {
        guard stepSize != 0 else { return nil }
        let exponent = Double(floorDivide(lastEpoch, stepSize))
        return baseLRs.map { $0 * Foundation.pow(gamma, exponent) }
    }
}

/// Python's `//` on integers: rounds towards negative infinity.
func floorDivide(_ a: Int, _ b: Int) -> Int {
    (a - pythonModulo(a, b)) / b
}
