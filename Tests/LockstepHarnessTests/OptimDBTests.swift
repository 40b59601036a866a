import Foundation
import LockstepFormat
import LockstepHarness
import LockstepTestSupport
import LockstepTesting
import Testing

/// The goldens generated from torch's own configuration database, `optim_db`
/// (`fixtures/optim_db`, `bash tools/golden --optim-db`): every configuration of every
/// optimizer, float32 and float64, on each CPU path torch has. Each replays within its
/// bounds, free-running and teacher-forced; fused and float32 ones bit for bit. What Lockstep does
/// not replay yet is listed, with the reason, as a known issue: a fixture that starts to
/// pass fails here until it leaves the list.
@Suite("optim_db goldens")
struct OptimDBTests {
    static var goldens: [Fixture] { Fixture.all(in: repositoryRoot.appendingPathComponent("fixtures/optim_db").path) }

    /// The configurations that do not replay yet, by file name, with the reason: none today.
    static let gaps: [String: String] = [:]

    /// The configurations with `lr=torch.tensor(0.001)` (a float32 tensor; extension 16).
    static var tensorLR: [Fixture] { goldens.filter { $0.testDescription.contains("_tensor_lr_") } }

    /// torch computes with a tensor lr in its dtype (float32 with float64 parameters in
    /// Muon's `1 − lr·wd` and `_adjust_lr`, SparseAdam's step size): replayed bit for bit
    /// on every path, where a Python float's replay is 9·10⁷ ULPs off (Muon float64).
    @Test(arguments: tensorLR)
    func tensorLearningRatesReplayBitForBit(_ fixture: Fixture) throws {
        let reader = try FixtureReader(path: fixture.path)
        #expect(reader.header.paramGroups.allSatisfy { $0.tensorHyperparameters == ["lr": .float32] })
        let result = try Replay(tolerance: .exact).run(reader)
        #expect(result.firstFailure == nil, "\(result.firstFailureDescription ?? "")")
    }

    @Test func theTensorLearningRatesAreRecorded() {
        #expect(Self.tensorLR.count == 22)
    }

    @Test func theDatabaseIsRecorded() {
        #expect(Self.goldens.count >= 500)
    }

    @Test(arguments: goldens)
    func verifies(_ fixture: Fixture) throws {
        for teacherForced in [false, true] {
            let check = {
                let reader = try FixtureReader(path: fixture.path)
                let header = reader.header
                // Fused kernels, and every float32 path: the fingerprint names MKL's sqrt, reproduced.
                let tolerance = header.reference.implementation == "fused" || header.dtype == .float32
                    ? Tolerance.exact
                    : Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
                let result = try Replay(tolerance: tolerance, teacherForcing: teacherForced).run(reader)
                #expect(result.firstFailure == nil, "\(teacherForced ? "teacher-forced" : "free-running"): \(result.firstFailureDescription ?? "")")
            }
            if let reason = Self.gaps[fixture.testDescription] {
                withKnownIssue(Comment(rawValue: reason)) { try check() }
            } else {
                try check()
            }
        }
    }
}
