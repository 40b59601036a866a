import Foundation

/// Cosine annealing with warm restarts (SGDR; torch's `CosineAnnealingWarmRestarts`):
/// the learning rate falls along a cosine from its initial value towards `eta_min` over
/// `T_i` epochs, then restarts, each period `T_mult` times longer than the last.
///
/// ```
/// T_cur ← T_cur + 1;  if T_cur ≥ T_i: T_cur ← T_cur mod T_i, T_i ← T_i · T_mult
/// lr = η_min + (base_lr − η_min) · (1 + cos(π · T_cur / T_i)) / 2
/// ```
///
/// This one is computed from `base_lr` at every step (torch has no chained form), with
/// `T_0 = T_i` at the start. Defaults: `T_mult = 1`, `eta_min = 0`; `T_0` is required.
///
/// Differs from PyTorch: `step(epoch)` with a fractional epoch is not offered.
///
/// References: Loshchilov & Hutter, *SGDR: Stochastic Gradient Descent with Warm
/// Restarts*, ICLR 2017; https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.html
public final class CosineAnnealingWarmRestarts: LRScheduler {
    public struct Options: SchedulerOptions {
        public var t0: Int?
        public var tMult: Int
        public var etaMin: Double

        public static var torchDefaults: Self { Self(t0: nil) }
        public init(t0: Int?, tMult: Int = 1, etaMin: Double = 0) {
            self.t0 = t0
            self.tMult = tMult
            self.etaMin = etaMin
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case t0 = "T_0", tMult = "T_mult", etaMin = "eta_min"
        }
    }

    public static let torchName = "CosineAnnealingWarmRestarts"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    public let t0: Int
    public let tMult: Int
    public let etaMin: Double
    /// `T_i`: the length of the current period.
    public private(set) var tI: Int
    /// `T_cur`: epochs since the last restart.
    public private(set) var tCur: Int

    public init(_ groups: ScheduledGroups, options: Options) throws {
        self.groups = groups
        t0 = try required(options.t0, "T_0", of: Self.torchName)
        guard t0 > 0 else { throw OptimizerError(.valueError, "Expected positive integer T_0, but got \(t0)") }
        guard options.tMult >= 1 else {
            throw OptimizerError(.valueError, "Expected integer T_mult >= 1, but got \(options.tMult)")
        }
        tMult = options.tMult
        etaMin = options.etaMin
        tI = t0
        tCur = -1
        try start()
    }

    public convenience init(
        _ groups: ScheduledGroups, t0: Int, tMult: Int = Options.torchDefaults.tMult, etaMin: Double = Options.torchDefaults.etaMin
    ) throws {
        try self.init(groups, options: Options(t0: t0, tMult: tMult, etaMin: etaMin))
    }

    public func computeLR() throws -> [Double] {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(.pi * Double(tCur) / Double(tI))) / 2 }
    }

    /// torch's own `step()`: advances `T_cur` and restarts; the first call (from
    /// construction) starts at epoch 0. It does not count `_step_count`.
    public func step() throws {
        if lastEpoch < 0 {
            tI = t0
            tCur = 0
            progress.lastEpoch = 0
        } else {
            progress.lastEpoch += 1
            tCur += 1
            if tCur >= tI {
                tCur = pythonModulo(tCur, tI)
                tI *= tMult
            }
        }
        try groups.setLearningRates(try computeLR())
        progress.lastLR = groups.learningRates
    }
}
