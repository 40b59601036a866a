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
