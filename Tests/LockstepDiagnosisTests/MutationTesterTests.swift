import LockstepHarness
import LockstepTestSupport
import Testing

@testable import LockstepDiagnosis

/// `mutants`: which catalogue entries a fixture set kills, and which survive.
@Suite("Mutation tester")
struct MutationTesterTests {
    static func row(_ report: MutationReport, _ id: String) throws -> MutationReport.Row {
        try #require(report.rows.first { $0.id == id }, "\(report.rows.map(\.id))")
    }

    /// A fixture without maximize cannot tell a lost sign from torch; one with it can.
    @Test func aMaximizingFixtureKillsTheLostSign() throws {
        let plain = try #require(try MutationTester().run([fixturePath("sgd_momentum_forloop_f32.h5")]).first)
        #expect(plain.optimizer == "SGD")
        #expect(try Self.row(plain, "mutant.maximize-lost").status == .survived)
        #expect(try Self.row(plain, "mutant.maximize-lost").advice == "a group with maximize = True")
        let both = try #require(
            try MutationTester().run([fixturePath("sgd_momentum_forloop_f32.h5"), fixturePath("sgd_maximize_forloop_f64.h5")]).first)
        let killed = try Self.row(both, "mutant.maximize-lost")
        #expect(killed.status == .killed)
        #expect(killed.killedBy?.hasSuffix("sgd_maximize_forloop_f64.h5") == true)
        #expect(both.score > plain.score)
    }

    /// A bit-exact fixture judges bit for bit: the other multiply-add rounding is killed by
    /// it, though it stays within the dtype's default bounds.
    @Test func aBitExactFixtureJudgesBitForBit() throws {
        let strict = try #require(try MutationTester().run([fixturePath("sgd_momentum_forloop_f32.h5")]).first)
        #expect(try Self.row(strict, "fma.other-capability").status == .killed)
        let loose = try #require(
            try MutationTester(tolerance: Tolerance(rtol: 1e-3, atol: 1e-6, maxULP: 0)).run([fixturePath("sgd_momentum_forloop_f32.h5")]).first)
        #expect(try Self.row(loose, "fma.other-capability").status == .survived)
    }

    /// A state the entry cannot hold (10 L-BFGS pairs against a recorded 3) tells it apart.
    @Test func aStateOfAnotherShapeKills() throws {
        let report = try #require(try MutationTester().run([fixturePath("lbfgs_history3_strong_wolfe_rosenbrock_f64.h5")]).first)
        let row = try Self.row(report, "lbfgs.scipy-memory")
        #expect(row.status == .killed)
        #expect(row.firstFailure?.contains("/state/") == true)
    }

    /// Fixtures are grouped by the optimizer they name, in order of first appearance;
    /// `as:` judges them all as one.
    @Test func groupedByOptimizer() throws {
        let paths = [fixturePath("sgd_momentum_forloop_f32.h5"), fixturePath("adamw_fused_f32.h5"), fixturePath("sgd_fused_f64.h5")]
        let reports = try MutationTester().run(paths)
        #expect(reports.map(\.optimizer) == ["SGD", "AdamW"])
        #expect(reports[0].fixtures.count == 2)
    }
}
