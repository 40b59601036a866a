import Foundation
import Testing

@testable import LockstepOptim

/// Param groups without an optimizer: each group's lr and momentum as plain numbers.
final class PlainGroups: SchedulableOptimizer {
    var lrs: [Double]
    var momenta: [Double]
    let momentumKey: MomentumKey?

    init(_ lrs: [Double], momentum: MomentumKey? = nil) {
        self.lrs = lrs
        momenta = Array(repeating: 0, count: lrs.count)
        momentumKey = momentum
    }

    var groupCount: Int { lrs.count }
    func learningRate(group index: Int) -> Double { lrs[index] }
    func setLearningRate(_ lr: Double, group index: Int) throws { lrs[index] = lr }
    func momentum(group index: Int) throws -> Double { momenta[index] }
    func setMomentum(_ value: Double, group index: Int) throws { momenta[index] = value }
}

/// The learning rates a scheduler gives while steps 1...n run (what `/steps/lr` records).
func schedule(_ scheduler: any LRScheduler, steps: Int) throws -> [[Double]] {
    try (0..<steps).map { _ in
        let lrs = scheduler.groups.learningRates
        try scheduler.step()
        return lrs
    }
}

func groups(_ lrs: Double..., momentum: MomentumKey? = nil) -> ScheduledGroups {
    ScheduledGroups(PlainGroups(lrs, momentum: momentum))
}

@Suite("Schedulers")
struct SchedulerTests {
    // MARK: Validation: torch's exceptions and messages (torch/optim/lr_scheduler.py)

    static let rejected: [(String, OptimizerError)] = [
        (#"{"name": "LinearLR", "start_factor": 0}"#,
         OptimizerError(.valueError, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")),
        (#"{"name": "LinearLR", "end_factor": 1.5}"#,
         OptimizerError(.valueError, "Ending multiplicative factor expected to be between 0 and 1.")),
        (#"{"name": "ConstantLR", "factor": 2}"#,
         OptimizerError(.valueError, "Constant multiplicative factor expected to be between 0 and 1.")),
        (#"{"name": "CosineAnnealingWarmRestarts", "T_0": 0}"#,
         OptimizerError(.valueError, "Expected positive integer T_0, but got 0")),
        (#"{"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 0}"#,
         OptimizerError(.valueError, "Expected integer T_mult >= 1, but got 0")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 0}"#,
         OptimizerError(.valueError, "Expected positive integer total_steps, but got 0")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "epochs": -1, "steps_per_epoch": 3}"#,
         OptimizerError(.valueError, "Expected positive integer epochs, but got -1")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "epochs": 2, "steps_per_epoch": 0}"#,
         OptimizerError(.valueError, "Expected positive integer steps_per_epoch, but got 0")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "epochs": 2}"#,
         OptimizerError(.valueError, "You must define either total_steps OR (epochs AND steps_per_epoch)")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}"#,
         OptimizerError(.valueError, "Expected float between 0 and 1 pct_start, but got 1.5")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}"#,
         OptimizerError(.valueError, "anneal_strategy must be one of 'cos' or 'linear', instead got exp")),
        (#"{"name": "OneCycleLR", "max_lr": [0.1, 0.2, 0.3], "total_steps": 10}"#,
         OptimizerError(.valueError,
                        "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, param_groups has 2.")),
        (#"{"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 10}"#,
         OptimizerError(.valueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")),
        (#"{"name": "SequentialLR", "schedulers": [], "milestones": []}"#,
         OptimizerError(.valueError, "SequentialLR expects at least one scheduler, but got no scheduler.")),
        (#"{"name": "SequentialLR", "schedulers": [{"name": "LinearLR"}, {"name": "ExponentialLR", "gamma": 0.9}], "milestones": []}"#,
         OptimizerError(.valueError,
                        "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers 2 and the number of milestones to be equal to 0")),
        (#"{"name": "SequentialLR", "schedulers": [{"name": "ReduceLROnPlateau"}], "milestones": []}"#,
         OptimizerError(.valueError,
                        "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index 0 in the given schedulers sequence.")),
        (#"{"name": "ReduceLROnPlateau", "factor": 1.0}"#, OptimizerError(.valueError, "Factor should be < 1.0.")),
        (#"{"name": "ReduceLROnPlateau", "factor": 1.0, "mode": "mx"}"#, OptimizerError(.valueError, "Factor should be < 1.0.")),
        (#"{"name": "ReduceLROnPlateau", "min_lr": [0.001]}"#, OptimizerError(.valueError, "expected 2 min_lrs, got 1")),
        (#"{"name": "ReduceLROnPlateau", "mode": "mx", "threshold_mode": "x"}"#, OptimizerError(.valueError, "mode mx is unknown!")),
        (#"{"name": "ReduceLROnPlateau", "threshold_mode": "x"}"#, OptimizerError(.valueError, "threshold mode x is unknown!")),
        (#"{"name": "CyclicLR"}"#,
         OptimizerError(.typeError, "CyclicLR.__init__() missing 2 required positional arguments: 'base_lr' and 'max_lr'")),
        (#"{"name": "CyclicLR", "base_lr": 0.1}"#,
         OptimizerError(.typeError, "CyclicLR.__init__() missing 1 required positional argument: 'max_lr'")),
        (#"{"name": "CyclicLR", "base_lr": [0.1], "max_lr": 1}"#,
         OptimizerError(.valueError,
                        "base_lr must have the same length as optimizer.param_groups. base_lr has 1 values, param_groups has 2.")),
        (#"{"name": "CyclicLR", "base_lr": 0.1, "max_lr": 1, "step_size_up": 0, "step_size_down": 0}"#,
         OptimizerError(.zeroDivisionError, "float division by zero")),
        (#"{"name": "CyclicLR", "base_lr": 0.1, "max_lr": 1, "mode": "foo"}"#,
         OptimizerError(.valueError, "mode is invalid and scale_fn is None")),
        (#"{"name": "CyclicLR", "base_lr": 0.1, "max_lr": 1}"#,
         OptimizerError(.valueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")),
        (#"{"name": "CyclicLR", "base_lr": 0.1, "max_lr": 1, "scale_fn": "lambda x: 1.0"}"#,
         OptimizerError(.typeError, "CyclicLR: a custom scale_fn (lambda x: 1.0) is Python code and cannot be replayed")),
        (#"{"name": "ChainedScheduler", "schedulers": []}"#,
         OptimizerError(.valueError, "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")),
        (#"{"name": "ChainedScheduler", "schedulers": [{"name": "ConstantLR"}, {"name": "ReduceLROnPlateau"}]}"#,
         OptimizerError(.valueError,
                        "ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index 1 in the given schedulers sequence.")),
        (#"{"name": "ChainedScheduler", "schedulers": [{"name": "ConstantLR"}], "milestones": [3]}"#,
         OptimizerError(.typeError, "ChainedScheduler.__init__() got an unexpected keyword argument 'milestones'")),
        (#"{"name": "StepLR", "gamma": 0.5}"#,
         OptimizerError(.typeError, "StepLR.__init__() missing 1 required positional argument: 'step_size'")),
        (#"{"name": "StepLR", "step_size": 3, "gama": 0.5}"#,
         OptimizerError(.typeError, "StepLR.__init__() got an unexpected keyword argument 'gama'")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ json: String, _ expected: OptimizerError) {
        #expect(throws: expected) { try LRSchedulers.make(json: Data(json.utf8), on: groups(0.1, 0.2)) }
    }

    @Test func oneCycleLRRefusesToStepPastTotalSteps() throws {
        let scheduler = try OneCycleLR(groups(0.1, momentum: .momentum), maxLR: 0.1, totalSteps: 3)
        for _ in 1...3 { try scheduler.step() }
        #expect(throws: OptimizerError(.valueError, "Tried to step 4 times. The specified number of total steps is 3")) {
            try scheduler.step()
        }
    }

    // MARK: Spot checks against the closed forms

    @Test func stepLRHalvesEveryStepSize() throws {
        let lrs = try schedule(StepLR(groups(0.8), stepSize: 3, gamma: 0.5), steps: 9).map { $0[0] }
        #expect(lrs == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2])
    }

    @Test func multiStepLRAppliesARepeatedMilestoneTwice() throws {
        let lrs = try schedule(MultiStepLR(groups(1), milestones: [2, 4, 4], gamma: 0.5), steps: 6).map { $0[0] }
        #expect(lrs == [1, 1, 0.5, 0.5, 0.125, 0.125])
    }

    @Test func chainedFormsStayCloseToTheirClosedForms() throws {
        let base = 0.1
        let cosine = try schedule(CosineAnnealingLR(groups(base), tMax: 10, etaMin: 0.001), steps: 11).map { $0[0] }
        for (e, lr) in cosine.enumerated() {
            #expect(abs(lr - (0.001 + (base - 0.001) * (1 + cos(.pi * Double(e) / 10)) / 2)) < 1e-15)
        }
        let exponential = try schedule(ExponentialLR(groups(base), gamma: 0.9), steps: 20).map { $0[0] }
        for (e, lr) in exponential.enumerated() { #expect(abs(lr - base * pow(0.9, Double(e))) < 1e-16) }
        let linear = try schedule(LinearLR(groups(base), options: .init(startFactor: 0.2, totalIters: 4)), steps: 6).map { $0[0] }
        for (e, lr) in linear.enumerated() { #expect(abs(lr - base * (0.2 + 0.8 * Double(min(e, 4)) / 4)) < 1e-16) }
        let polynomial = try schedule(PolynomialLR(groups(base), options: .init(totalIters: 4, power: 2)), steps: 6).map { $0[0] }
        for (e, lr) in polynomial.enumerated() { #expect(abs(lr - base * pow(1 - Double(min(e, 4)) / 4, 2)) < 1e-16) }
    }

    @Test func constantLRScalesUntilTotalIters() throws {
        let lrs = try schedule(ConstantLR(groups(0.5), options: .init(factor: 0.5, totalIters: 2)), steps: 4).map { $0[0] }
        #expect(lrs == [0.25, 0.25, 0.5, 0.5])
    }

    @Test func warmRestartsRestartAtT0ThenTMultLonger() throws {
        let lrs = try schedule(CosineAnnealingWarmRestarts(groups(1), t0: 2, tMult: 2), steps: 7).map { $0[0] }
        // T_cur: 0 1 | 0 1 2 3 | 0
        let expected = [0.0, 1, 0, 1, 2, 3, 0].enumerated().map { e, tCur -> Double in
            let period = e < 2 ? 2.0 : e < 6 ? 4 : 8
            return (1 + cos(.pi * tCur / period)) / 2
        }
        #expect(lrs == expected)
    }

    @Test func linearWarmupRisesFromZeroThenFallsToZero() throws {
        let lrs = try schedule(LambdaLR.linearScheduleWithWarmup(groups(0.2), numWarmupSteps: 4, numTrainingSteps: 12), steps: 13)
            .map { $0[0] }
        #expect(lrs[0] == 0)
        #expect(lrs[2] == 0.1)
        #expect(lrs[4] == 0.2)
        #expect(lrs[8] == 0.1)
        #expect(lrs[12] == 0)
    }

    @Test func sequentialLRRestartsTheNextSchedulerAtItsBaseLR() throws {
        let shared = groups(0.1)
        let warmup = try LinearLR(shared, options: .init(startFactor: 0.5, totalIters: 2))
        let cosine = try CosineAnnealingLR(shared, tMax: 4)
        let lrs = try schedule(SequentialLR(shared, schedulers: [warmup, cosine], milestones: [2]), steps: 4).map { $0[0] }
        #expect(lrs[0] == 0.05)
        #expect(lrs[2] == 0.1)  // the closed form at epoch 0: η_min + (base − η_min)·2/2
        #expect(lrs[3] < lrs[2])
    }

    @Test func oneCycleLRCyclesTheMomentumInverselyToTheLearningRate() throws {
        let plain = PlainGroups([0.1], momentum: .momentum)
        let scheduler = try OneCycleLR(ScheduledGroups(plain), maxLR: 1, totalSteps: 10)
        // torch's cos annealing at pct 0 is end + (start − end)/2·2, not start: 0.040000000000000036.
        #expect(plain.lrs[0] == 1 + (1.0 / 25 - 1) / 2.0 * 2)
        #expect(plain.lrs[0] == 0.040000000000000036)
        #expect(plain.momenta[0] == 0.95)
        for _ in 0..<2 { try scheduler.step() }  // epoch 2 = the peak (0.3·10 − 1)
        #expect(plain.lrs[0] == 1)
        #expect(plain.momenta[0] == 0.85)
    }

    @Test func reduceLROnPlateauReducesAfterPatienceThenCoolsDownAndStopsAtMinLR() throws {
        let scheduler = try ReduceLROnPlateau(
            groups(1), options: .init(factor: 0.5, patience: 1, threshold: 0.1, cooldown: 1, minLR: .all(0.3)))
        #expect(scheduler.lastEpoch == 0)
        #expect(scheduler.groups.value(.initialLR, group: 0) == nil)  // torch's writes no initial_lr
        // 0.95 is not better than 1 · (1 − 0.1); 0.85 is. Bad epochs: 1, 2 → reduce (> patience 1).
        let metrics: [Double] = [1, 0.95, 0.95, 0.95, 0.95, 0.95, 0.85, 0.85, 0.85, 0.85, 0.85]
        var lrs: [Double] = []
        for metric in metrics {
            try scheduler.step(metric)
            lrs.append(scheduler.lastLR[0])
        }
        // Reductions after 3 and 6 (step 4, in cooldown, counts no bad epoch); the second, 0.25,
        // is clamped to min_lr 0.3. 0.85 at 7 is a new best; the reduction due after 9 gives
        // max(0.15, 0.3) = 0.3, no change.
        #expect(lrs == [1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
        #expect(scheduler.best == 0.85)
        #expect(throws: OptimizerError(.typeError, "ReduceLROnPlateau.step() missing 1 required positional argument: 'metrics'")) {
            try scheduler.step()
        }
    }

    @Test func reduceLROnPlateauComparesAsItsModesSay() throws {
        func isBetter(_ mode: String, _ thresholdMode: String, _ a: Double, _ best: Double) throws -> Bool {
            try ReduceLROnPlateau(groups(1), options: .init(mode: mode, threshold: 0.1, thresholdMode: thresholdMode))
                .isBetter(a, than: best)
        }
        #expect(try isBetter("min", "rel", 1.79, 2) && !isBetter("min", "rel", 1.81, 2))  // < 2 · 0.9
        #expect(try isBetter("min", "abs", 1.89, 2) && !isBetter("min", "abs", 1.91, 2))  // < 2 − 0.1
        #expect(try isBetter("max", "rel", 2.21, 2) && !isBetter("max", "rel", 2.19, 2))  // > 2 · 1.1
        #expect(try isBetter("max", "abs", 2.11, 2) && !isBetter("max", "abs", 2.09, 2))  // > 2 + 0.1
        // A reduction smaller than eps is not applied.
        let tiny = try ReduceLROnPlateau(groups(1e-9), options: .init(patience: 0))
        try tiny.step(1)
        try tiny.step(2)
        #expect(tiny.lastLR == [1e-9])
    }

    @Test func cyclicLRRisesAndFallsAndTriangular2HalvesEachCycle() throws {
        let plain = PlainGroups([0.5], momentum: .momentum)
        let scheduler = try CyclicLR(
            ScheduledGroups(plain),
            options: .init(baseLR: .all(1), maxLR: .all(5), stepSizeUp: 2, stepSizeDown: 2, mode: "triangular2",
                           baseMomentum: .all(0.5), maxMomentum: .all(0.9)))
        // Construction: lr ← base_lr, momentum ← max_momentum (then the initial step, epoch 0).
        #expect(plain.lrs == [1])
        #expect(plain.momenta == [0.9])
        var lrs: [Double] = []
        var momenta: [Double] = []
        for _ in 0..<9 {
            lrs.append(plain.lrs[0])
            momenta.append(plain.momenta[0])
            try scheduler.step()
        }
        #expect(lrs == [1, 3, 5, 3, 1, 2, 3, 2, 1])
        #expect(momenta[2] == 0.9 - (0.9 - 0.5) * 1.0 * 1)  // the peak: base_momentum, up to rounding
        #expect(momenta[6] == 0.9 - (0.9 - 0.5) * 1.0 * 0.5)  // cycle 2: half the amplitude
        #expect(momenta[4] == 0.9)
    }

    @Test func cyclicLRExpRangeScalesByGammaToTheStep() throws {
        let description = #"{"name": "CyclicLR", "base_lr": 1, "max_lr": 5, "step_size_up": 2, "mode": "exp_range", "#
            + #""gamma": 0.5, "scale_fn": null, "cycle_momentum": false}"#
        let scheduler = try LRSchedulers.make(json: Data(description.utf8), on: groups(0.5))
        let lrs = try schedule(scheduler, steps: 4).map { $0[0] }
        // epoch e: 1 + (4 · s) · 0.5^e, s = 0, 0.5, 1, 0.5
        let expected: [Double] = [1, 1 + 2 * 0.5, 1 + 4 * 0.25, 1 + 2 * 0.125]
        #expect(lrs == expected)
    }

    @Test func chainedSchedulerStepsEverySchedulerOnTheLRThePreviousLeft() throws {
        let shared = groups(1)
        let constant = try ConstantLR(shared, options: .init(factor: 0.1, totalIters: 3))
        let exponential = try ExponentialLR(shared, gamma: 0.5)
        let chain = try ChainedScheduler([constant, exponential])
        #expect(chain.lastLR == [1 * 0.1])  // construction steps nothing more
        let lrs = try schedule(chain, steps: 5).map { $0[0] }
        let e2: Double = 0.1 * 0.5 * 0.5
        let e3: Double = e2 * (1.0 / 0.1) * 0.5
        let expected: [Double] = [0.1, 0.1 * 0.5, e2, e3, e3 * 0.5]
        #expect(lrs == expected)
        #expect(throws: OptimizerError(
            .valueError,
            "ChainedScheduler expects all schedulers to belong to the same optimizer, but got scheduler ExponentialLR at index 1 has another optimizer.")) {
            try ChainedScheduler([constant, ExponentialLR(groups(1), gamma: 0.5)])
        }
    }

    // MARK: Driving an optimizer

    @Test func cyclicLROverwritesSGDsMomentumAndAdamsFirstBetaAtConstruction() throws {
        let sgd = try SGD([Parameter<Double>([1, 2])], .init(lr: 0.1, momentum: 0.5))
        _ = try CyclicLR(ScheduledGroups(sgd), baseLR: 0.01, maxLR: 0.1, stepSizeUp: 4)
        #expect(sgd.paramGroups[0].options.lr == 0.01)
        #expect(sgd.paramGroups[0].options.momentum == 0.9)
        let adam = try Adam([Parameter<Double>([1, 2])], .init(lr: 0.1, betas: Betas(0.5, 0.99)))
        _ = try CyclicLR(ScheduledGroups(adam), baseLR: 0.01, maxLR: 0.1, stepSizeUp: 4)
        #expect(adam.paramGroups[0].options.betas == Betas(0.9, 0.99))  // max_momentum 0.9, beta2 kept
        #expect(adam.momentumKey == .betas)
    }

    @Test func oneCycleLRDrivesAdamWsLearningRateAndFirstBeta() throws {
        let optimizer = try AdamW([Parameter<Double>([1, 2])], .init(lr: 0.01, weightDecay: 1e-2))
        #expect(optimizer.momentumKey == .betas)
        let scheduler = try OneCycleLR(ScheduledGroups(optimizer), maxLR: 0.05, totalSteps: 10)
        #expect(optimizer.paramGroups[0].options.lr == 0.0020000000000000018)  // torch's too, not 0.05 / 25
        #expect(optimizer.paramGroups[0].options.betas == Betas(0.95, 0.999))
        try scheduler.step()
        #expect(optimizer.paramGroups[0].options.lr == scheduler.lastLR[0])
        #expect(optimizer.paramGroups[0].options.betas.beta2 == 0.999)
        #expect(optimizer.paramGroups[0].options.betas.beta1 < 0.95)
    }

    @Test func hyperparametersRoundTripEveryBitThroughTorchsJSON() throws {
        let beta = 0.1 + 0.2  // 0.30000000000000004, which Foundation's JSONSerialization misreads on Linux
        let options = try Adam<Float>.Options().setting("betas", to: [beta, 0.999])
        #expect(options.betas == Betas(beta, 0.999))
        #expect(try options.torchNumbers("betas") == [beta, 0.999])
        let decoded = try Adam<Float>.Options.fromTorchJSON(
            Data(#"{"lr": 0.30000000000000004}"#.utf8), defaults: Adam<Float>.Options(), optimizer: "Adam")
        #expect(decoded.lr == beta)
    }
}
