import Foundation
import LockstepCLI
import LockstepDiagnosis
import LockstepTestSupport
import Testing

/// `verify explain`, `verify mutants`, `verify catalogue` and `check --as`, as a user runs them.
@Suite("verify explain and mutants")
struct DiagnosisCommandTests {
    /// As `verify` writes them: nonfinite numbers as "inf", "-inf", "nan".
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    static func convention(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("fixtures/conventions/\(name).h5").path
    }

    @Test func explainNamesTheConventionAndWritesJSON() throws {
        let dir = try TemporaryDirectory()
        let json = dir.path("explain.json")
        let status = VerifyCommand.run(arguments: [
            "explain", "--as", "AdamW", "--fixture", Self.convention("adam_l2_fused_f32"), "--fixture",
            Self.convention("hf_adamw_f64"), "--json", json, "--jobs", "2",
        ])
        #expect(status == 0)
        let decoded = try Self.decoder.decode([Explanation].self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(decoded.map { $0.reproducing.first?.id } == ["adam.l2-penalty", "adam.pytorch-transformers"])
        #expect(decoded.allSatisfy { $0.verdict == .reproducedExactly })
    }

    /// A trajectory the optimizer itself reproduces is explained (exit 0); one nothing
    /// reproduces exits 1; an unknown `--as` is exit 2.
    @Test func explainExitCodes() throws {
        #expect(VerifyCommand.run(arguments: ["explain", "--fixture", fixturePath("adamw_fused_f32.h5")]) == 0)
        // torch's own Adam trajectory judged bit for bit as Adam's for-loop without its sqrt
        // fingerprint: MKL's sqrt, which no entry reproduces.
        let dir = try TemporaryDirectory()
        let unfingerprinted = try withoutSqrtFingerprint("adam_forloop_f32.h5", in: dir)
        #expect(VerifyCommand.run(arguments: ["explain", "--exact", "--fixture", unfingerprinted]) == 1)
        #expect(VerifyCommand.run(arguments: ["explain", "--as", "Nadam", "--fixture", fixturePath("adamw_fused_f32.h5")]) == 2)
        #expect(VerifyCommand.run(arguments: ["explain", "--fixture", "/nonexistent.h5"]) == 2)
        #expect(VerifyCommand.run(arguments: ["explain"]) == 2)
    }

    @Test func checkAsReplaysAnotherOptimizersTrajectory() {
        let path = Self.convention("sutskever_sgd_steplr_f64")
        #expect(VerifyCommand.run(arguments: ["check", "--fixture", path]) == 2)  // no Swift SutskeverSGD
        #expect(VerifyCommand.run(arguments: ["check", "--as", "SGD", "--fixture", path]) == 1)  // torch's SGD differs
        #expect(VerifyCommand.run(arguments: ["check", "--as", "SGD", "--fixture", fixturePath("sgd_momentum_forloop_f32.h5")]) == 0)
    }

    @Test func mutantsWritesTheReports() throws {
        let dir = try TemporaryDirectory()
        let json = dir.path("mutants.json")
        let status = VerifyCommand.run(arguments: [
            "mutants", "--fixture", fixturePath("sgd_momentum_forloop_f32.h5"), "--fixture", fixturePath("sgd_maximize_forloop_f64.h5"),
            "--json", json, "--markdown",
        ])
        #expect(status == 0)
        let reports = try Self.decoder.decode([MutationReport].self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(reports.map(\.optimizer) == ["SGD"])
        #expect(reports[0].rows.first { $0.id == "mutant.maximize-lost" }?.status == .killed)
        #expect(VerifyCommand.run(arguments: ["mutants", "--fixture", "/nonexistent.h5"]) == 2)
        #expect(VerifyCommand.run(arguments: ["mutants", "--as", "Nadam", "--fixture", fixturePath("sgd_momentum_forloop_f32.h5")]) == 2)
        // Bounds from the command line, completed per fixture: a loose bound lets the
        // multiply-add mutant survive what the bit-exact golden kills.
        #expect(VerifyCommand.run(arguments: ["mutants", "--rtol", "1e-3", "--fixture", fixturePath("sgd_momentum_forloop_f32.h5")]) == 0)
        #expect(VerifyCommand.run(arguments: ["mutants", "--jobs", "0", "--fixture", fixturePath("sgd_momentum_forloop_f32.h5")]) == 2)
    }

    @Test func catalogueListsEntries() {
        #expect(VerifyCommand.run(arguments: ["catalogue", "--optimizer", "SGD", "--markdown"]) == 0)
        #expect(VerifyCommand.run(arguments: ["catalogue", "--optimizer", "Nadam"]) == 2)
    }
}
