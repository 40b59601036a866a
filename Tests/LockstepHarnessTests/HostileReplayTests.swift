import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepHarness
import LockstepTestSupport
import Testing

/// What only the replay can find wrong in a crafted fixture, and numbers from a file that
/// must print without trapping.
@Suite("Hostile fixtures, replayed")
struct HostileReplayTests {
    @Test func aStateTheOptimizerKeepsButTheFileLacksIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("adamw.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        try HDF5File.open(updatingAt: path).root.group("params").group("w").group("state").removeChild("exp_avg_sq")
        #expect(throws: ReplayError.invalidInput(
            object: "/params/w/state/exp_avg_sq",
            message: "dataset not found: AdamW keeps 'exp_avg_sq' after step 1, so the file must record it")) {
            try Replay(tolerance: .defaults(for: .float32)).run(FixtureReader(path: path))
        }
    }

    /// tools/fuzz: a `history_size` of 2^40 (LBFGS keeps that many rows of every element)
    /// trapped in the allocation at the second iteration; −1 trapped on a negative count.
    @Test func anLBFGSHistorySizeIsHeldToTheMemoryBudget() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("lbfgs.h5")
        try FileManager.default.copyItem(atPath: fixturePath("lbfgs_strong_wolfe_rosenbrock_f64.h5"), toPath: path)
        let root = try HDF5File.open(updatingAt: path).root
        let groups = try root.stringAttribute("param_groups")
        try root.setAttribute("param_groups", string: groups.replacingOccurrences(of: #""history_size": 100"#, with: #""history_size": 1099511627776"#))
        #expect(throws: ReplayError.invalidInput(
            object: "/",
            message: "attribute 'param_groups': history_size 1099511627776 keeps that many rows of 6 elements twice (old_dirs, old_stps), more than the memory budget of 1 GiB (LOCKSTEP_MEMORY_BUDGET)")) {
            try HDF5Dataset.$memoryBudget.withValue(1 << 30) { try Replay(tolerance: .defaults(for: .float64)).run(FixtureReader(path: path)) }
        }
        try root.setAttribute("param_groups", string: groups.replacingOccurrences(of: #""history_size": 100"#, with: #""history_size": -1"#))
        #expect(throws: ReplayError.invalidInput(
            object: "/", message: "LBFGS rejects the fixture: IndexError: list assignment index out of range (history_size -1)")) {
            try Replay(tolerance: .defaults(for: .float64)).run(FixtureReader(path: path))
        }
    }

    @Test func aCountOfClosureCallsNear2To63Prints() {
        var calls = TensorComparison(tensor: "/steps/closure_calls")
        calls.compare(actual: [3.0], expected: [0x1p63], shape: [1], step: 2, tolerance: .exact)
        let result = VerificationResult(
            fixture: "x.h5", optimizer: "LBFGS", dtype: "float64", implementation: nil, cpuCapability: nil, steps: 2,
            mode: .freeRunning, tolerance: .exact, tensors: [calls])
        #expect(result.firstFailureDescription == "first failure: step 2, /steps/closure_calls, element 0 [0]: expected 9.223372036854776e+18, actual 3 calls")
    }
}
