import Foundation
import LockstepTestSupport
import LockstepFormat
import LockstepOptim
import LockstepTesting
import Testing

@testable import LockstepHarness

extension Fixture {
    /// Every golden file in `fixtures/`: each is its own test case, so a new file is tested
    /// without touching Swift code (LockstepTesting's `Fixture`, as a user's package has it).
    static var goldens: [Fixture] { Fixture.all(in: repositoryRoot.appendingPathComponent("fixtures").path) }
}

@Suite("Golden fixtures")
struct GoldenFixtureTests {
    @Test func theBundledFixturesArePresent() {
        #expect(Fixture.goldens.count >= 20)
        #expect(Fixture.goldens.contains { $0.testDescription == "adamw.h5" })
    }

    /// The numerics table (`verify table fixtures/*.h5`) has a row for every optimizer in
    /// `torch.optim`: each has at least one golden, for float32 and for float64.
    @Test func everyTorchOptimizerHasGoldensInBothDtypes() throws {
        var recorded: Set<String> = []
        for fixture in Fixture.goldens {
            let header = try FixtureReader(path: fixture.path).header
            recorded.insert("\(header.optimizer) \(header.dtype.rawValue)")
        }
        #expect(TorchVerdict.optimizers.count == 15)
        let missing = TorchVerdict.optimizers.flatMap { optimizer in
            ["float32", "float64"].map { "\(optimizer) \($0)" }.filter { !recorded.contains($0) }
        }
        #expect(missing.isEmpty, "no golden for: \(missing.joined(separator: ", "))")
    }

    /// Free-running, within the file's tolerance or the dtype's defaults; fixtures from
    /// torch's fused kernel bit for bit.
    @Test(arguments: Fixture.goldens)
    func verifies(_ fixture: Fixture) throws {
        let reader = try FixtureReader(path: fixture.path)
        let header = reader.header
        let tolerance = Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        let failure = try Replay(tolerance: tolerance).run(reader).firstFailure
        #expect(failure == nil, "\(fixture.testDescription) is out of tolerance")
        if header.reference.implementation == "fused" {
            let inexact = try Replay(tolerance: .exact).run(reader).firstFailure
            #expect(inexact == nil, "\(fixture.testDescription) is not bit-exact")
        }
    }

    /// Teacher-forced: each step judged alone from the recorded step before it.
    @Test(arguments: Fixture.goldens)
    func verifiesTeacherForced(_ fixture: Fixture) throws {
        let reader = try FixtureReader(path: fixture.path)
        let header = reader.header
        let tolerance = header.reference.implementation == "fused"
            ? Tolerance.exact
            : Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        let failure = try Replay(tolerance: tolerance, teacherForcing: true).run(reader).firstFailure
        #expect(failure == nil, "\(fixture.testDescription) fails teacher-forced")
    }

    /// Split across two threads at every other position (chunks of any size, not whole
    /// vectors): the same results as one thread, so fused fixtures stay bit-exact. The
    /// fused kernels' regions are positions in the whole tensor, not in a chunk.
    @Test(arguments: Fixture.goldens)
    func verifiesSplitAcrossThreads(_ fixture: Fixture) throws {
        let reader = try FixtureReader(path: fixture.path)
        let header = reader.header
        let split = Parallelism(threads: 2, minimumElementsPerThread: 1, chunkAlignment: 1)
        let tolerance = header.reference.implementation == "fused"
            ? Tolerance.exact
            : Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        let serial = try Replay(tolerance: tolerance).run(reader)
        let threaded = try Replay(tolerance: tolerance, parallelism: split).run(reader)
        #expect(threaded.firstFailure == nil, "\(fixture.testDescription) fails on two threads")
        #expect(threaded.tensors == serial.tensors, "\(fixture.testDescription) differs between one and two threads")
    }
}
