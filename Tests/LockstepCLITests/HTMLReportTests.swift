import Foundation
import LockstepDiagnosis
import LockstepHDF5
import LockstepHarness
import LockstepTestSupport
import Testing

@testable import LockstepCLI

/// `verify check --report FILE`: one self-contained HTML page.
@Suite("verify --report")
struct HTMLReportTests {
    /// A passing fixture and a failing one (`--exact` on a for-loop golden without its sqrt
    /// fingerprint, so replayed with the correctly rounded sqrt: a few ULPs off).
    @Test func writesOneSelfContainedPage() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("report.html")
        let failing = try withoutSqrtFingerprint("adam_forloop_f32.h5", in: dir)
        let status = VerifyCommand.run(arguments: [
            "--exact", "--fixture", fixturePath("adamw_fused_f32.h5"), "--fixture", failing, "--report", path,
        ])
        #expect(status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["adam_forloop_f32.h5", "report.html"])
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for outside in ["http://", "https://", "src=", "<script", "<link", "@import", "url("] {
            #expect(!html.contains(outside), "the report refers outside itself: \(outside)")
        }
        for text in [
            "PASS", "FAIL", "bit-exact", "/params/w/param", "/params/b/state/exp_avg_sq", "<svg", "First divergence",
            "Explanation", "Hyperparameters", "Provenance", "2.15.0", "decoupled_weight_decay",
            "first failure: step 3, /params/b/param, element 25", "no sqrt fingerprint",
        ] {
            #expect(html.contains(text), "\(text) missing from the report")
        }
        // The neighbourhood of the first failure: elements 21–29 of /params/b/param after step 3.
        #expect(html.contains("elements 21–29 around element 25"))
        #expect(html.contains("0.014895631") && html.contains("0.01489563"))
    }

    @Test func aFailedWriteExitsTwoWithOneLine() throws {
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--report", "/nonexistent/dir/r.html"]) == 2)
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let run = try JobsTests().verify(["--fixture", fixturePath("adamw.h5"), "--report", "/nonexistent/dir/r.html"])
        #expect(run.status == 2)
        #expect(run.stderr == "error: /nonexistent/dir/r.html: cannot write the HTML report: the folder /nonexistent/dir does not exist\n")
        // A folder in the report's place.
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("taken.html"), withIntermediateDirectories: false)
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--report", dir.path("taken.html")]) == 2)
    }

    @Test func escapesEveryStringFromAFixture() {
        let evil = "<script>alert('x')</script>&\""
        var tensor = TensorComparison(tensor: "/params/\(evil)/param")
        tensor.compare(actual: [Float(1), 2, 3], expected: [1, 2.5, 3], shape: [3], step: 1, tolerance: .exact)
        let result = VerificationResult(
            fixture: "\(evil).h5", optimizer: evil, dtype: "float32", implementation: evil, cpuCapability: evil, steps: 1,
            mode: .freeRunning, tolerance: .exact, tensors: [tensor])
        let neighbourhood = Neighbourhood(
            tensor: tensor.tensor, step: 1, index: 1, shape: [3], dtype: "float32", actual: [1, 2, 3], expected: [1, 2.5, 3],
            tolerance: .exact)
        let html = HTMLReport.render([
            FixtureRun(
                path: "\(evil).h5", verdict: .result(result),
                details: ReportDetails(neighbourhood: neighbourhood, explanationNote: evil)),
            FixtureRun(path: "\(evil)2.h5", verdict: .invalid("\(evil)2.h5: /: not an HDF5 file")),
        ])
        #expect(!html.contains("<script"))
        #expect(!html.contains(evil))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"))
        #expect(html.contains("FAIL") && html.contains("INVALID"))
        // The neighbourhood marks the failing element.
        #expect(neighbourhood.elements.map(\.index) == [0, 1, 2])
        #expect(neighbourhood.elements.map(\.passes) == [true, false, true])
        #expect(neighbourhood.elements[1].ulps == ulpDistance(Float(2), Float(2.5)))
    }

    /// An ``Explanation`` as `verify explain` makes one, built by hand.
    static func explanation() throws -> Explanation {
        let json = """
            {"fixture": "adam_l2.h5", "recordedOptimizer": "AdamW", "optimizer": "AdamW", "dtype": "float32",
             "verdict": "reproduced bit for bit",
             "reference": {"id": "reference", "title": "AdamW", "summary": "the optimizer itself", "kind": "reference",
               "exact": false, "passed": false, "maxULPError": 2097152, "maxRelativeError": 0.25,
               "firstFailure": "first failure: step 1, /params/w/param, element 3 [3]: expected 0.5, actual 0.25, 8388608 ulp",
               "signature": {"kind": "different formula", "step": 1, "tensor": "/params/w/param", "element": 3,
                 "firstULPs": 8388608, "finalULPs": 2097152, "ulpsByStep": [8388608, 2097152]}},
             "candidates": [
               {"id": "adamw.l2-penalty", "title": "L2 penalty <b>instead</b> of decoupled decay",
                "summary": "adds λθ to the gradient", "source": "Keras 2 Adam", "kind": "convention",
                "exact": true, "passed": true, "maxULPError": 0, "maxRelativeError": 0,
                "signature": {"kind": "exact", "ulpsByStep": [0, 0]}},
               {"id": "mutant.betas-swapped", "title": "β₁ and β₂ swapped", "summary": "swaps the betas", "kind": "mutant",
                "exact": false, "passed": false, "maxULPError": null, "maxRelativeError": 1.0,
                "firstFailure": "first failure: step 1, /params/w/param, element 0 [0]: expected 0.5, actual nan"},
               {"id": "adamw.rejects", "title": "Rejects", "summary": "cannot run", "kind": "porting bug",
                "exact": false, "passed": false, "error": "AdamW rejects the fixture: lr < 0"}
             ]}
            """
        return try JSONDecoder().decode(Explanation.self, from: Data(json.utf8))
    }

    @Test func rendersAnExplanation() throws {
        let html = HTMLReport.explanation(ReportDetails(explanation: try Self.explanation()))
        #expect(html.contains("reproduced bit for bit by adamw.l2-penalty"))
        #expect(html.contains("L2 penalty &lt;b&gt;instead&lt;/b&gt; of decoupled decay"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("Keras 2 Adam"))
        #expect(html.contains("different formula: 8388608 ulp from step 1 (/params/w/param element 3)"))
        #expect(html.contains("mutant.betas-swapped") && html.contains("NaN"))
        #expect(html.contains("not replayed: AdamW rejects the fixture: lr &lt; 0"))
        #expect(html.contains("class=\"exact-match\""))
        // Without an explanation, the reason.
        #expect(HTMLReport.explanation(ReportDetails(explanationNote: "No explanation: x")).contains("No explanation: x"))
    }

    /// Log scale with 0 at the bottom: the plotted y falls as the value grows; NaN is at the top.
    @Test func plotsOnALogScaleWithZeroAtTheBottom() {
        let svg = HTMLReport.plot(
            [(1, 0), (2, 1), (3, 100), (4, 1e6), (5, nil)], steps: 5, scale: .ulp, mark: 3)
        let points = svg.split(separator: "points=\"")[1].prefix { $0 != "\"" }
        let ys = points.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(ys.count == 5)
        #expect(ys[0] > ys[1] && ys[1] > ys[2] && ys[2] > ys[3])
        #expect(ys[4] <= ys[3])
        #expect(svg.contains(">0</text>") && svg.contains(">1M</text>"))
        #expect(svg.contains("class=\"nan\""))
        #expect(svg.contains("class=\"mark\""))
    }
}

/// A copy of golden `name` without its sqrt fingerprint (format extension 17): replayed with
/// the correctly rounded `sqrt`, a for-loop golden is a few ULPs off torch's MKL `sqrt`.
func withoutSqrtFingerprint(_ name: String, in dir: TemporaryDirectory) throws -> String {
    let path = dir.path(name)
    try FileManager.default.copyItem(atPath: fixturePath(name), toPath: path)
    try HDF5File.open(updatingAt: path).root.removeChild("fingerprints")
    return path
}
