import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// A fixture with a `scheduler` attribute is checked both ways: the Swift scheduler must
/// reproduce `/steps/lr` (and `/steps/betas`, `/steps/momentum`) bit for bit, and drives the
/// optimizer; `ReduceLROnPlateau` is stepped with `/steps/metric`.
@Suite("Schedule replay")
struct ScheduleReplayTests {
    let directory = FileManager.default.temporaryDirectory

    /// Replaces `/steps/<name>` by `edit` applied to its values.
    func damage(_ name: String, in fixture: String, _ edit: @escaping (inout [Double]) -> Void) throws -> String {
        try brokenCopy(of: fixture, in: directory) { root in
            let steps = try root.group("steps")
            let dataset = try steps.dataset(name)
            let shape = dataset.shape
            var values = try dataset.read(Double.self)
            edit(&values)
            try steps.removeChild(name)
            try steps.createDataset(
                name, shape: shape, values: values,
                layout: .chunked(byRow: shape.dropFirst().reduce(1, *) > 1, compression: false, checksum: true))
        }
    }

    @Test func aRecordedLearningRateThatDisagreesWithTheSchedulerFailsAtSlashStepsSlashLR() throws {
        // adamw_steplr_fused_f32: one group, StepLR halving every 7 steps; row 10 is step 11.
        let path = try damage("lr", in: "adamw_steplr_fused_f32.h5") { $0[10] = $0[10].nextUp }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(tolerance: .defaults(for: .float32)).run(FixtureReader(path: path))
        #expect(!result.passed)
        let failure = try #require(result.firstFailure)
        #expect(failure.tensor == "/steps/lr")
        #expect(failure.step == 11)
        #expect(failure.ulps == 1)
        // The optimizer followed the Swift schedule, not the damaged row: the parameters pass.
        let parameters = result.tensors.filter { $0.tensor.hasPrefix("/params/") }
        #expect(parameters.allSatisfy { $0.passed })
    }

    @Test func aRecordedBetaThatDisagreesWithOneCycleLRFailsAtSlashStepsSlashBetas() throws {
        // Two groups, betas [N, 2, 2]: element 2 of row 4 is group 1's beta1 at step 5.
        let path = try damage("betas", in: "adamw_onecyclelr_param_groups_fused_f32.h5") { $0[4 * 4 + 2] += 0.01 }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let failure = try #require(try Replay(tolerance: .exact).run(FixtureReader(path: path)).firstFailure)
        #expect(failure.tensor == "/steps/betas")
        #expect(failure.step == 5)
        #expect(failure.multiIndex == [1, 0])
    }

    @Test func reduceLROnPlateauFollowsTheRecordedMetric() throws {
        // sgd_momentum_reducelronplateau_min_rel_fused_f32: patience 2, the first reduction
        // after step 11 (lr halved from step 12). A new best at step 10 delays it to step 14.
        let fixture = "sgd_momentum_reducelronplateau_min_rel_fused_f32.h5"
        let path = try damage("metric", in: fixture) { $0[9] = 0.5 }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let failure = try #require(try Replay(tolerance: .exact).run(FixtureReader(path: path)).firstFailure)
        #expect(failure.tensor == "/steps/lr")
        #expect(failure.step == 12)
        #expect(try Replay(tolerance: .exact).run(FixtureReader(path: fixturePath(fixture))).passed)
    }

    @Test func aRecordedMomentumThatDisagreesWithCyclicLRFailsAtSlashStepsSlashMomentum() throws {
        let path = try damage("momentum", in: "sgd_momentum_cycliclr_triangular2_fused_f32.h5") { $0[6] = $0[6].nextDown }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let failure = try #require(try Replay(tolerance: .exact).run(FixtureReader(path: path)).firstFailure)
        #expect(failure.tensor == "/steps/momentum")
        #expect(failure.step == 7)
    }

    @Test func withoutASchedulerTheRecordedLearningRatesAndBetasDriveTheReplay() throws {
        let path = try brokenCopy(of: "adamw_onecyclelr_param_groups_fused_f32.h5", in: directory) {
            try $0.removeAttribute("scheduler")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Replay(tolerance: .exact).run(FixtureReader(path: path))
        #expect(result.passed)
        #expect(!result.tensors.contains { $0.tensor.hasPrefix("/steps/") })
    }

    /// A copy of `fixture` (24 steps, group 1 joining before step 6) with `/steps/<key>`
    /// written from `value(step, group)`: `[beta1, beta2]` for `betas`, one number for `momentum`.
    func recording(_ key: String, in fixture: String, _ value: @escaping (Int, Int) -> [Double]) throws -> String {
        try brokenCopy(of: fixture, in: directory) { root in
            let rows = (1...24).flatMap { step in (0..<2).flatMap { value(step, $0) } }
            let shape = key == "betas" ? [24, 2, 2] : [24, 2]
            try root.group("steps").createDataset(
                key, shape: shape, values: rows, layout: .chunked(byRow: true, compression: false, checksum: true))
        }
    }

    /// Format extension 14: without a scheduler, each joined group's betas come from
    /// `/steps/betas` at every step; a group that has not joined yet is NaN there, ignored.
    @Test func recordedBetasDriveEachJoinedGroupAndNaNMarksAGroupNotJoinedYet() throws {
        // adamw_added_group_fused_f32: both groups keep betas (0.9, 0.999); group 1 (v16, v3) joins before step 6.
        let fixture = "adamw_added_group_fused_f32.h5"
        func betas(group1From step: Int, _ changed: [Double]) -> (Int, Int) -> [Double] {
            { t, group in group == 1 && t < 6 ? [.nan, .nan] : group == 1 && t >= step ? changed : [0.9, 0.999] }
        }
        let recorded = try recording("betas", in: fixture, betas(group1From: 99, []))
        defer { try? FileManager.default.removeItem(atPath: recorded) }
        #expect(try Replay(tolerance: .exact).run(FixtureReader(path: recorded)).passed)

        // Group 1's beta1 cycles down from step 9: its parameters follow, group 0's do not move.
        let cycled = try recording("betas", in: fixture, betas(group1From: 9, [0.85, 0.999]))
        defer { try? FileManager.default.removeItem(atPath: cycled) }
        let result = try Replay(tolerance: .exact).run(FixtureReader(path: cycled))
        let failure = try #require(result.firstFailure)
        #expect(failure.step == 9)
        #expect(["/params/v16/param", "/params/v3/param"].contains(failure.tensor))
        #expect(result.tensors.filter { $0.tensor.hasPrefix("/params/w/") || $0.tensor.hasPrefix("/params/b/") }.allSatisfy { $0.passed })

        // A group in the optimizer must have a value.
        let missing = try recording("betas", in: fixture) { t, group in group == 1 && t < 7 ? [.nan, .nan] : [0.9, 0.999] }
        defer { try? FileManager.default.removeItem(atPath: missing) }
        #expect(throws: ReplayError.invalidInput(object: "/steps/betas", message: "step 6: group 1 is in the optimizer but its betas is NaN")) {
            try Replay(tolerance: .exact).run(FixtureReader(path: missing))
        }
    }

    /// The same for `/steps/momentum` (SGD; group 1 joins before step 6 with momentum 0.9).
    @Test func recordedMomentumDrivesEachJoinedGroup() throws {
        let fixture = "sgd_added_group_fused_f32.h5"
        let recorded = try recording("momentum", in: fixture) { t, group in group == 1 && t < 6 ? [.nan] : [0.9] }
        defer { try? FileManager.default.removeItem(atPath: recorded) }
        #expect(try Replay(tolerance: .exact).run(FixtureReader(path: recorded)).passed)

        let cycled = try recording("momentum", in: fixture) { t, group in group == 1 && t < 6 ? [.nan] : group == 0 && t >= 4 ? [0.8] : [0.9] }
        defer { try? FileManager.default.removeItem(atPath: cycled) }
        let failure = try #require(try Replay(tolerance: .exact).run(FixtureReader(path: cycled)).firstFailure)
        #expect(failure.step == 4)
        #expect(["/params/w/param", "/params/b/param"].contains(failure.tensor))
    }

    @Test func anUnknownSchedulerIsInvalidInput() throws {
        let path = try brokenCopy(of: "adamw_steplr_fused_f32.h5", in: directory) {
            try $0.setAttribute("scheduler", string: #"{"name": "MultiplicativeLR", "lr_lambda": 0.9}"#)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: ReplayError.self) { try Replay(tolerance: .exact).run(FixtureReader(path: path)) }
        guard case .invalidInput(let object, let message) = error else { Issue.record("\(error)"); return }
        #expect(object == "/")
        #expect(message.hasPrefix("scheduler rejects the fixture: unknown scheduler 'MultiplicativeLR'; known: StepLR, "))
    }

    @Test func aSchedulerArgumentTorchDoesNotTakeIsPythonsTypeError() throws {
        let path = try brokenCopy(of: "adamw_steplr_fused_f32.h5", in: directory) {
            try $0.setAttribute("scheduler", string: #"{"name": "StepLR", "step_size": 7, "gama": 0.5}"#)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ReplayError.invalidInput(
            object: "/", message: "scheduler rejects the fixture: StepLR.__init__() got an unexpected keyword argument 'gama'")) {
            try Replay(tolerance: .exact).run(FixtureReader(path: path))
        }
    }
}
