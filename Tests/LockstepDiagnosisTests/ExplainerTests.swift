import LockstepHarness
import LockstepTestSupport
import Testing

@testable import LockstepDiagnosis

/// `explain` names the convention a trajectory follows, bit for bit: trajectories recorded
/// from torch (`fixtures/conventions`, `tools/conventions/cases.py`) replayed as the
/// optimizer a port would be.
@Suite("Explainer")
struct ExplainerTests {
    static func conventions(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("fixtures/conventions/\(name).h5").path
    }

    @Test(
        "names the convention bit for bit",
        arguments: [
            ("adam_l2_fused_f32", "AdamW", "adam.l2-penalty"),
            ("adam_l2_forloop_f64", "AdamW", "adam.l2-penalty"),
            ("hf_adamw_f32", "AdamW", "adam.pytorch-transformers"),
            ("hf_adamw_f64", "AdamW", "adam.pytorch-transformers"),
            ("keras_adam_f32", "Adam", "adam.keras-epsilon"),
            ("keras_adam_f64", "Adam", "adam.keras-epsilon"),
            ("paper_adamw_fused_f32", "AdamW", "decay.not-scaled-by-lr"),
            ("paper_adamw_forloop_f64", "AdamW", "decay.not-scaled-by-lr"),
            ("sutskever_sgd_steplr_f32", "SGD", "sgd.sutskever-momentum"),
            ("sutskever_sgd_steplr_f64", "SGD", "sgd.sutskever-momentum"),
        ])
    func namesTheConvention(_ fixture: String, _ optimizer: String, _ expected: String) throws {
        let explanation = try Explainer().explain(Self.conventions(fixture), as: optimizer)
        let ranking = explanation.candidates.prefix(4).map { "\($0.id): \($0.exact ? "exact" : "\($0.maxULPError ?? .max) ulp")" }
        #expect(explanation.verdict == .reproducedExactly, "\(ranking)")
        #expect(explanation.reproducing.map(\.id) == [expected], "\(ranking)")
        #expect(!explanation.reference.passed)
        #expect(explanation.reference.signature?.kind == .differentFormula)
    }

    /// torch's own trajectories replay as themselves: nothing to explain.
    @Test(arguments: ["adamw_fused_f32", "sgd_momentum_steplr_f64", "adam_l2_fused_f32"])
    func theOptimizerItselfFirst(_ fixture: String) throws {
        let explanation = try Explainer().explain(Self.conventions(fixture))
        #expect(explanation.verdict == .matchesReference)
        #expect(explanation.reference.exact)
    }

    /// A port replayed under a name the catalog lacks is one clear error.
    @Test func unknownOptimizer() throws {
        #expect(throws: ReplayError.self) { try Explainer().explain(Self.conventions("keras_adam_f64"), as: "Nadam") }
        do {
            _ = try Explainer().explain(Self.conventions("keras_adam_f64"), as: "Nadam")
        } catch let error as ReplayError {
            #expect(error.line(file: "f.h5").hasPrefix("f.h5: /: unknown optimizer 'Nadam' for --as; known: Adam, AdamW"))
        }
    }

    /// Entries are ranked bit-exact first, then within tolerance, then by ULPs, then by
    /// relative error; a replay that failed last.
    @Test func ranking() {
        func c(_ id: String, exact: Bool = false, passed: Bool = false, ulps: UInt64? = 0, error: String? = nil) -> Explanation.Candidate {
            Explanation.Candidate(
                id: id, title: id, summary: "", source: nil, kind: .mutant, exact: exact, passed: passed, maxULPError: ulps,
                maxRelativeError: 0, error: error)
        }
        let ranked = Explainer.ranked([
            c("broken", error: "rejects"), c("nan", ulps: nil), c("far", ulps: 900), c("near", ulps: 9),
            c("tolerated", passed: true, ulps: 40), c("exact", exact: true, passed: true),
        ])
        #expect(ranked.map(\.id) == ["exact", "tolerated", "near", "far", "nan", "broken"])
    }
}
