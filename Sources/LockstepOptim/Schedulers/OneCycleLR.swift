import Foundation

/// The 1cycle policy (torch's `OneCycleLR`): the learning rate rises from
/// `max_lr / div_factor` to `max_lr`, then falls to `initial_lr / final_div_factor`; with
/// `cycle_momentum` the momentum (`momentum`, or `betas[0]` for the Adam family) moves the
/// other way, between `max_momentum` and `base_momentum`. Meant to be stepped every batch.
///
/// Phases (ends in steps; `p = pct_start`, `N = total_steps`):
///
/// ```
/// two phases:   [0, pN − 1]: initial_lr → max_lr,   [pN − 1, N − 1]: max_lr → min_lr
/// three_phase:  [0, pN − 1]: initial_lr → max_lr,   [pN − 1, 2pN − 2]: max_lr → initial_lr,
///               [2pN − 2, N − 1]: initial_lr → min_lr
/// in a phase [a, b] at step s:  pct = (s − a) / (b − a)
///   cos:     anneal(x, y) = y + (x − y) / 2 · (cos(π · pct) + 1)
///   linear:  anneal(x, y) = (y − x) · pct + x
/// initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor
/// ```
///
/// Every step is computed from these endpoints (no chaining); construction writes
/// `initial_lr`, `max_lr`, `min_lr` (and `max_momentum`, `base_momentum`) into the groups,
/// and the momentum is set to `max_momentum`. `max_lr` and the momenta may be one value
/// or one per group. Stepping past `total_steps` is torch's `ValueError`.
///
/// Defaults: `pct_start = 0.3`, `anneal_strategy = "cos"`, `cycle_momentum = true`,
/// `base_momentum = 0.85`, `max_momentum = 0.95`, `div_factor = 25`,
/// `final_div_factor = 1e4`, `three_phase = false`; `max_lr` and either `total_steps` or
/// `epochs` and `steps_per_epoch` are required.
///
/// Differs from PyTorch: `pct_start` is any `Double` (torch also rejects a Python `int`).
///
/// References: Smith & Topin, *Super-Convergence: Very Fast Training of Neural Networks
/// Using Large Learning Rates*, 2017 (arXiv:1708.07120);
/// https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.OneCycleLR.html
public final class OneCycleLR: LRScheduler {
    /// How the learning rate moves within a phase.
    public enum AnnealStrategy: String, Codable, Sendable {
        case cos, linear
    }

    /// One number for every group, or one per group (torch's `float | list[float]`).
    public typealias PerGroup = PerGroupValue

    public struct Options: SchedulerOptions {
        public var maxLR: PerGroup?
        public var totalSteps: Int?
        public var epochs: Int?
        public var stepsPerEpoch: Int?
        public var pctStart: Double
        public var annealStrategy: String
        public var cycleMomentum: Bool
        public var baseMomentum: PerGroup
        public var maxMomentum: PerGroup
        public var divFactor: Double
        public var finalDivFactor: Double
        public var threePhase: Bool

        public static var torchDefaults: Self { Self(maxLR: nil) }
        public init(
            maxLR: PerGroup?, totalSteps: Int? = nil, epochs: Int? = nil, stepsPerEpoch: Int? = nil,
            pctStart: Double = 0.3, annealStrategy: String = AnnealStrategy.cos.rawValue, cycleMomentum: Bool = true,
            baseMomentum: PerGroup = .all(0.85), maxMomentum: PerGroup = .all(0.95), divFactor: Double = 25.0,
            finalDivFactor: Double = 1e4, threePhase: Bool = false
        ) {
            self.maxLR = maxLR
            self.totalSteps = totalSteps
            self.epochs = epochs
            self.stepsPerEpoch = stepsPerEpoch
            self.pctStart = pctStart
            self.annealStrategy = annealStrategy
            self.cycleMomentum = cycleMomentum
            self.baseMomentum = baseMomentum
            self.maxMomentum = maxMomentum
            self.divFactor = divFactor
            self.finalDivFactor = finalDivFactor
            self.threePhase = threePhase
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case maxLR = "max_lr", totalSteps = "total_steps", epochs, stepsPerEpoch = "steps_per_epoch"
            case pctStart = "pct_start", annealStrategy = "anneal_strategy", cycleMomentum = "cycle_momentum"
            case baseMomentum = "base_momentum", maxMomentum = "max_momentum", divFactor = "div_factor"
            case finalDivFactor = "final_div_factor", threePhase = "three_phase"
        }
    }

    /// One phase: where it ends, and the group entries it anneals between.
    struct Phase {
        let endStep: Double
        let startLR, endLR, startMomentum, endMomentum: ScheduledGroups.Entry
    }

    public static let torchName = "OneCycleLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let totalSteps: Int
    public let annealStrategy: AnnealStrategy
    public let cycleMomentum: Bool
    let phases: [Phase]

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        if let total = options.totalSteps {
            guard total > 0 else { throw OptimizerError(.valueError, "Expected positive integer total_steps, but got \(total)") }
            totalSteps = total
        } else if let epochs = options.epochs, let perEpoch = options.stepsPerEpoch {
            guard epochs > 0 else { throw OptimizerError(.valueError, "Expected positive integer epochs, but got \(epochs)") }
            guard perEpoch > 0 else {
                throw OptimizerError(.valueError, "Expected positive integer steps_per_epoch, but got \(perEpoch)")
            }
            totalSteps = epochs * perEpoch
        } else {
            throw OptimizerError(.valueError, "You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        let p = options.pctStart
        let n = Double(totalSteps)
        phases = options.threePhase
            ? [
                Phase(endStep: p * n - 1, startLR: .initialLR, endLR: .maxLR, startMomentum: .maxMomentum, endMomentum: .baseMomentum),
                Phase(endStep: 2 * p * n - 2, startLR: .maxLR, endLR: .initialLR, startMomentum: .baseMomentum, endMomentum: .maxMomentum),
                Phase(endStep: n - 1, startLR: .initialLR, endLR: .minLR, startMomentum: .maxMomentum, endMomentum: .maxMomentum),
            ]
            : [
                Phase(endStep: p * n - 1, startLR: .initialLR, endLR: .maxLR, startMomentum: .maxMomentum, endMomentum: .baseMomentum),
                Phase(endStep: n - 1, startLR: .maxLR, endLR: .minLR, startMomentum: .baseMomentum, endMomentum: .maxMomentum),
            ]
        guard p >= 0, p <= 1 else {
            throw OptimizerError(.valueError, "Expected float between 0 and 1 pct_start, but got \(pythonRepr(p))")
        }
        guard let strategy = AnnealStrategy(rawValue: options.annealStrategy) else {
            throw OptimizerError(
                .valueError, "anneal_strategy must be one of 'cos' or 'linear', instead got \(options.annealStrategy)")
        }
        annealStrategy = strategy
        let maxLRs = try required(options.maxLR, "max_lr", of: Self.torchName).values("max_lr", groupCount: groups.count)
        for (index, maxLR) in maxLRs.enumerated() {
            let initial = maxLR / options.divFactor
            groups.set(.initialLR, initial, group: index)
            groups.set(.maxLR, maxLR, group: index)
            groups.set(.minLR, initial / options.finalDivFactor, group: index)
        }
        cycleMomentum = options.cycleMomentum
        if cycleMomentum {
            guard groups.optimizer.momentumKey != nil else {
                throw OptimizerError(.valueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            }
            let maxMomenta = try options.maxMomentum.values("max_momentum", groupCount: groups.count)
            let baseMomenta = try options.baseMomentum.values("base_momentum", groupCount: groups.count)
            for index in 0..<groups.count {
                try groups.optimizer.setMomentum(maxMomenta[index], group: index)
                groups.set(.maxMomentum, maxMomenta[index], group: index)
                groups.set(.baseMomentum, baseMomenta[index], group: index)
            }
        }
        try start()
    }

    public convenience init(_ groups: ScheduledGroups, maxLR: Double, totalSteps: Int) throws {
        try self.init(groups, options: Options(maxLR: .all(maxLR), totalSteps: totalSteps))
    }

    /// torch's `get_lr()`; with `cycle_momentum` it also sets each group's momentum.
    public func computeLR() throws -> [Double] {
        let step = lastEpoch
        guard step <= totalSteps else {
            throw OptimizerError(
                .valueError, "Tried to step \(step) times. The specified number of total steps is \(totalSteps)")
        }
        var lrs: [Double] = []
        for index in 0..<groups.count {
            var startStep = 0.0
            for (i, phase) in phases.enumerated() {
                guard Double(step) <= phase.endStep || i == phases.count - 1 else {
                    startStep = phase.endStep
                    continue
                }
                let span = phase.endStep - startStep
                guard span != 0 else { throw OptimizerError(.zeroDivisionError, "float division by zero") }
                let pct = (Double(step) - startStep) / span
                lrs.append(anneal(try entry(phase.startLR, index), try entry(phase.endLR, index), pct))
                if cycleMomentum {
                    let momentum = anneal(try entry(phase.startMomentum, index), try entry(phase.endMomentum, index), pct)
                    try groups.optimizer.setMomentum(momentum, group: index)
                }
                break
            }
        }
        return lrs
    }

    private func entry(_ key: ScheduledGroups.Entry, _ group: Int) throws -> Double {
        guard let value = groups.value(key, group: group) else { throw OptimizerError(.keyError, "'\(key.rawValue)'") }
        return value
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: end + (start - end) / 2.0 * (cos(.pi * pct) + 1)
        case .linear: (end - start) * pct + start
        }
    }
}
