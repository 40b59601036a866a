import Foundation

/// The cyclical learning-rate policy (torch's `CyclicLR`): the learning rate rises from
/// `base_lr` toward `max_lr` over `step_size_up` steps and falls back over `step_size_down`,
/// with an amplitude scaled per cycle or per step; with `cycle_momentum` the momentum
/// (`momentum`, or `betas[0]` for the Adam family) moves the other way, between
/// `max_momentum` and `base_momentum`. Meant to be stepped every batch.
///
/// At epoch `e` (`T = step_size_up + step_size_down`, `r = step_size_up / T`), per group:
///
/// ```
/// cycle = ⌊1 + e/T⌋,   x = 1.0 + e/T − cycle
/// s     = x / r                 if x ≤ r   (rising)
///         (x − 1) / (r − 1)     otherwise  (falling)
/// lr       = base_lr + (max_lr − base_lr) · s · scale
/// momentum = max_momentum − (max_momentum − base_momentum) · s · scale
/// scale:  triangular 1,  triangular2 1 / 2.0^(cycle − 1),  exp_range γ^e
/// ```
///
/// Every step is computed from these endpoints (torch has no chained form and no closed
/// form besides this one), operation by operation as Python evaluates it:
/// `base_height = (max_lr − base_lr) · s` first, then `base_lr + base_height · scale`; `^` is
/// the C library's `pow`, which Python's `**` calls. Construction sets every group's `lr` to
/// `base_lr` and, with `cycle_momentum`, its momentum to `max_momentum` and the group
/// entries `max_momentum`, `base_momentum`; then the initial step. `base_lr`, `max_lr` and
/// the momenta may be one value or one per group. The momentum key is `betas` when the
/// optimizer's defaults have `betas` (torch's `use_beta1`), else `momentum`.
///
/// Defaults: `step_size_up = 2000`, `step_size_down = step_size_up`, `mode = "triangular"`,
/// `gamma = 1.0`, `scale_mode = "cycle"` (only read with a custom `scale_fn`),
/// `cycle_momentum = true`, `base_momentum = 0.8`, `max_momentum = 0.9`; `base_lr` and
/// `max_lr` are required.
///
/// Differs from PyTorch: no custom `scale_fn` (a Python callable; only `null` is accepted);
/// `scale_mode` is accepted and, as in torch without `scale_fn`, ignored.
///
/// References: Smith, *Cyclical Learning Rates for Training Neural Networks*, 2017
/// (arXiv:1506.01186); https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CyclicLR.html
public final class CyclicLR: LRScheduler {
    /// How the amplitude is scaled: per cycle (`triangular`, `triangular2`) or per step (`exp_range`).
    public enum Mode: String, Codable, Sendable {
        case triangular, triangular2
        case expRange = "exp_range"
    }

    public struct Options: SchedulerOptions {
        public var baseLR: PerGroupValue?
        public var maxLR: PerGroupValue?
        public var stepSizeUp: Double
        public var stepSizeDown: Double?
        public var mode: String
        public var gamma: Double
        /// torch's custom scaling callable: only `null` (torch's default) can be replayed.
        public var scaleFn: String?
        public var scaleMode: String
        public var cycleMomentum: Bool
        public var baseMomentum: PerGroupValue
        public var maxMomentum: PerGroupValue

        public static var torchDefaults: Self { Self(baseLR: nil, maxLR: nil) }
        public init(
            baseLR: PerGroupValue?, maxLR: PerGroupValue?, stepSizeUp: Double = 2000, stepSizeDown: Double? = nil,
            mode: String = Mode.triangular.rawValue, gamma: Double = 1.0, scaleMode: String = "cycle",
            cycleMomentum: Bool = true, baseMomentum: PerGroupValue = .all(0.8), maxMomentum: PerGroupValue = .all(0.9)
        ) {
            self.baseLR = baseLR
            self.maxLR = maxLR
            self.stepSizeUp = stepSizeUp
            self.stepSizeDown = stepSizeDown
            self.mode = mode
            self.gamma = gamma
            scaleFn = nil
            self.scaleMode = scaleMode
            self.cycleMomentum = cycleMomentum
            self.baseMomentum = baseMomentum
            self.maxMomentum = maxMomentum
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case baseLR = "base_lr", maxLR = "max_lr", stepSizeUp = "step_size_up", stepSizeDown = "step_size_down"
            case mode, gamma, scaleFn = "scale_fn", scaleMode = "scale_mode", cycleMomentum = "cycle_momentum"
            case baseMomentum = "base_momentum", maxMomentum = "max_momentum"
        }
    }

    public static let torchName = "CyclicLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let mode: Mode
    public let gamma: Double
    /// `max_lrs`: each group's upper boundary.
    public let maxLRs: [Double]
    /// `total_size`: steps in one cycle.
    public let totalSize: Double
    /// `step_ratio`: the rising share of a cycle.
    public let stepRatio: Double
    public let cycleMomentum: Bool
    /// `base_momentums`, `max_momentums` (empty without `cycle_momentum`).
    public let baseMomentums, maxMomentums: [Double]

    /// torch's construction, in torch's order (its side effects on the groups included).
    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        guard let baseLR = options.baseLR, let maxLR = options.maxLR else {
            let missing = [("base_lr", options.baseLR == nil), ("max_lr", options.maxLR == nil)].filter(\.1).map(\.0)
            throw OptimizerError(
                .typeError,
                missing.count == 2
                    ? "CyclicLR.__init__() missing 2 required positional arguments: 'base_lr' and 'max_lr'"
                    : "CyclicLR.__init__() missing 1 required positional argument: '\(missing[0])'")
        }
        let baseLRs = try baseLR.values("base_lr", groupCount: groups.count)
        try groups.setLearningRates(baseLRs)
        maxLRs = try maxLR.values("max_lr", groupCount: groups.count)
        let up = options.stepSizeUp
        totalSize = up + (options.stepSizeDown ?? up)
        guard totalSize != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
        stepRatio = up / totalSize
        if let scaleFn = options.scaleFn {
            throw OptimizerError(.typeError, "CyclicLR: a custom scale_fn (\(scaleFn)) is Python code and cannot be replayed")
        }
        guard let mode = Mode(rawValue: options.mode) else {
            throw OptimizerError(.valueError, "mode is invalid and scale_fn is None")
        }
        self.mode = mode
        gamma = options.gamma
        cycleMomentum = options.cycleMomentum
        if cycleMomentum {
            guard groups.optimizer.momentumKey != nil else {
                throw OptimizerError(.valueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            }
            baseMomentums = try options.baseMomentum.values("base_momentum", groupCount: groups.count)
            maxMomentums = try options.maxMomentum.values("max_momentum", groupCount: groups.count)
            for index in 0..<groups.count {
                try groups.optimizer.setMomentum(maxMomentums[index], group: index)
                groups.set(.maxMomentum, maxMomentums[index], group: index)
                groups.set(.baseMomentum, baseMomentums[index], group: index)
            }
        } else {
            (baseMomentums, maxMomentums) = ([], [])
        }
        // The initial step runs with base_lrs = the groups' initial_lr; torch sets
        // self.base_lrs = base_lr only after it.
        try start()
        progress.baseLRs = baseLRs
    }

    public convenience init(
        _ groups: ScheduledGroups, baseLR: Double, maxLR: Double, stepSizeUp: Double = 2000, mode: Mode = .triangular
    ) throws {
        try self.init(groups, options: Options(baseLR: .all(baseLR), maxLR: .all(maxLR), stepSizeUp: stepSizeUp, mode: mode.rawValue))
    }

    /// torch's `get_lr()`; with `cycle_momentum` it also sets each group's momentum.
    public func computeLR() throws -> [Double] {
        let epoch = Double(lastEpoch)
        let cycle = (1 + epoch / totalSize).rounded(.down)
        let x = 1.0 + epoch / totalSize - cycle
        let scaleFactor: Double
        if x <= stepRatio {
            guard stepRatio != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
            scaleFactor = x / stepRatio
        } else {
            scaleFactor = (x - 1) / (stepRatio - 1)
        }
        let scale = switch mode {
        case .triangular: 1.0
        case .triangular2: 1 / Foundation.pow(2.0, cycle - 1)
        case .expRange: Foundation.pow(gamma, epoch)
        }
        let lrs = zip(baseLRs, maxLRs).map { baseLR, maxLR in
            let baseHeight = (maxLR - baseLR) * scaleFactor
            return baseLR + baseHeight * scale
        }
        if cycleMomentum {
            for index in 0..<groups.count {
                let baseHeight = (maxMomentums[index] - baseMomentums[index]) * scaleFactor
                try groups.optimizer.setMomentum(maxMomentums[index] - baseHeight * scale, group: index)
            }
        }
        return lrs
    }
}
