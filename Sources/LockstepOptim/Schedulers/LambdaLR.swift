/// Sets each group's learning rate to its initial one times a function of the epoch
/// (torch's `LambdaLR`).
///
/// ```
/// lr_e = base_lr · λ(e)
/// ```
///
/// One function for every group, or one per group. torch's `LambdaLR` keeps Python
/// functions, which a fixture cannot record; a recorded one is named by the recipe that
/// built it, such as ``linearScheduleWithWarmup(_:numWarmupSteps:numTrainingSteps:)``.
///
/// Differs from PyTorch: none beyond ``LRScheduler``'s.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LambdaLR.html
public final class LambdaLR: LRScheduler {
    public static let torchName = "LambdaLR"
    public let groups: ScheduledGroups
    public var progress = SchedulerProgress()
    let lambdas: [(Int) -> Double]

    /// - Parameters:
    ///   - groups: the optimizer's param groups, as the scheduler drives them.
    ///   - lambdas: one function for all groups, or one per group.
    public init(_ groups: ScheduledGroups, lambdas: [(Int) -> Double]) throws {
        if lambdas.count == 1 {
            self.lambdas = Array(repeating: lambdas[0], count: groups.count)
        } else {
            guard lambdas.count == groups.count else {
                throw OptimizerError(.valueError, "Expected \(groups.count) lr_lambdas, but got \(lambdas.count)")
            }
            self.lambdas = lambdas
        }
        self.groups = groups
        try start()
    }

    public func computeLR() throws -> [Double] {
        zip(baseLRs, lambdas).map { base, lambda in base * lambda(lastEpoch) }
    }
}

extension LambdaLR {
    /// The arguments of ``linearScheduleWithWarmup(_:numWarmupSteps:numTrainingSteps:)``.
    public struct LinearWarmupOptions: SchedulerOptions {
        public var numWarmupSteps: Int?
        public var numTrainingSteps: Int?

        public static var torchDefaults: Self { Self(numWarmupSteps: nil, numTrainingSteps: nil) }
        public init(numWarmupSteps: Int?, numTrainingSteps: Int?) {
            self.numWarmupSteps = numWarmupSteps
            self.numTrainingSteps = numTrainingSteps
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case numWarmupSteps = "num_warmup_steps", numTrainingSteps = "num_training_steps"
        }
    }

    /// The name a fixture gives this recipe: transformers' function name.
    public static let linearScheduleWithWarmupName = "get_linear_schedule_with_warmup"

    /// BERT fine-tuning's schedule: the learning rate rises linearly from 0 to its initial
    /// value over `num_warmup_steps`, then falls linearly to 0 at `num_training_steps`
    /// (transformers' `get_linear_schedule_with_warmup`, a `LambdaLR`).
    ///
    /// ```
    /// λ(s) = s / max(1, W)                          s < W
    /// λ(s) = max(0, (T − s) / max(1, T − W))        otherwise
    /// ```
    ///
    /// Origin: `src/transformers/optimization.py` of huggingface/transformers (v4.x),
    /// `_get_linear_schedule_with_warmup_lr_lambda`; Devlin et al., *BERT*, NAACL 2019.
    /// Our Python reference: `tools/lockstep_golden/references.py`.
    public static func linearScheduleWithWarmup(
        _ groups: ScheduledGroups, numWarmupSteps: Int, numTrainingSteps: Int
    ) throws -> LambdaLR {
        try LambdaLR(groups, lambdas: [{ step in
            if step < numWarmupSteps { return Double(step) / Double(max(1, numWarmupSteps)) }
            let decay = Double(numTrainingSteps - step) / Double(max(1, numTrainingSteps - numWarmupSteps))
            return decay > 0.0 ? decay : 0.0  // Python's max(0.0, decay): 0.0 unless decay is larger
        }])
    }
}
