import Foundation
import LockstepDiagnosis
import LockstepFormat
import LockstepHarness
import LockstepOptim

/// What `verify check` found for one fixture: its result or why it is invalid, and, for
/// the HTML report, what the report shows beside it.
struct FixtureRun: Sendable, Codable {
    enum Verdict: Sendable, Codable {
        case result(VerificationResult)
        /// The one line `verify` prints for an invalid fixture.
        case invalid(String)
    }

    var path: String
    var verdict: Verdict
    /// Read for the HTML report only.
    var details: ReportDetails?

    var result: VerificationResult? {
        if case .result(let result) = verdict { result } else { nil }
    }
}

/// What the HTML report shows of a fixture beyond its ``VerificationResult``.
struct ReportDetails: Sendable, Codable {
    /// The fixture's header (hyperparameters, provenance); `nil` when it could not be read.
    var header: FixtureHeader?
    /// The elements around the first failure, at its step.
    var neighbourhood: Neighbourhood?
    /// Why the neighbourhood is not shown, for a failure that has none.
    var neighbourhoodNote: String?
    /// Which catalogue entry, if any, reproduces a failing fixture.
    var explanation: Explanation?
    /// Why there is no explanation for a failing fixture.
    var explanationNote: String?

    init(
        header: FixtureHeader? = nil, neighbourhood: Neighbourhood? = nil, neighbourhoodNote: String? = nil,
        explanation: Explanation? = nil, explanationNote: String? = nil
    ) {
        (self.header, self.neighbourhood, self.neighbourhoodNote) = (header, neighbourhood, neighbourhoodNote)
        (self.explanation, self.explanationNote) = (explanation, explanationNote)
    }
}

/// The elements around a failing one at the step it failed: the recorded and the Swift values.
struct Neighbourhood: Sendable, Equatable, Codable {
    struct Element: Sendable, Equatable, Codable {
        var index: Int
        var multiIndex: [Int]
        var expected: Double
        var actual: Double
        /// `nil`: NaN against a number.
        var ulps: UInt64?
        var passes: Bool
    }

    /// The tensor, the step, and the flat index of the failing element.
    var tensor: String
    var step: Int
    var index: Int
    var dtype: String
    var elements: [Element]

    /// How many elements either side of the failing one are shown.
    static let radius = 4

    /// The elements `index − radius ... index + radius` of `actual` and `expected`.
    init(
        tensor: String, step: Int, index: Int, shape: [Int], dtype: String, actual: [Double], expected: [Double],
        tolerance: Tolerance
    ) {
        (self.tensor, self.step, self.index, self.dtype) = (tensor, step, index, dtype)
        let range = max(0, index - Self.radius)...min(expected.count - 1, index + Self.radius)
        elements = range.map { i in
            let (a, e) = (actual[i], expected[i])
            let ulps: UInt64
            let passes: Bool
            if dtype == "float32" {
                (ulps, passes) = (ulpDistance(Float(a), Float(e)), tolerance.accepts(Float(a), Float(e)))
            } else {
                (ulps, passes) = (ulpDistance(a, e), tolerance.accepts(a, e))
            }
            return Element(
                index: i, multiIndex: LockstepHarness.multiIndex(i, shape: shape), expected: e, actual: a,
                ulps: ulps == .max ? nil : ulps, passes: passes)
        }
    }

    init(tensor: String, step: Int, index: Int, dtype: String, elements: [Element]) {
        (self.tensor, self.step, self.index, self.dtype, self.elements) = (tensor, step, index, dtype, elements)
    }

}

/// Verifies one fixture: the work `verify check` runs on each, possibly on several threads.
struct FixtureVerifier: Sendable, Codable {
    var bounds: Bounds
    var teacherForcing: Bool
    var parallelism: Parallelism
    /// Not sent to a child process (``IsolatedJob``): the child's own, the same executable's.
    var optimizers: OptimizerCatalog = .builtIn
    /// Replay every fixture as this optimizer (`--as`), not the one it names.
    var replayedAs: String?
    /// Also gather what the HTML report shows (``ReportDetails``).
    var details: Bool

    enum CodingKeys: String, CodingKey { case bounds, teacherForcing, parallelism, replayedAs, details }

    init(
        bounds: Bounds, teacherForcing: Bool, parallelism: Parallelism, optimizers: OptimizerCatalog, replayedAs: String?,
        details: Bool
    ) {
        (self.bounds, self.teacherForcing, self.parallelism, self.optimizers) = (bounds, teacherForcing, parallelism, optimizers)
        (self.replayedAs, self.details) = (replayedAs, details)
    }

    /// ``run(_:)`` in a child process when `isolation` is given (its crash, time-out or
    /// failure an invalid fixture), else here.
    func run(_ path: String, isolation: Isolation?) -> FixtureRun {
        guard let isolation else { return run(path) }
        switch isolation.run(.check(self, path: path), as: FixtureRun.self) {
        case .success(let run): return run
        case .failure(let failure): return invalid(path, failure.line(file: path), nil)
        }
    }

    func run(_ path: String) -> FixtureRun {
        var header: FixtureHeader?
        do {
            let reader = try FixtureReader(path: path)
            header = reader.header
            let replay = Replay(
                tolerance: bounds.tolerance(for: reader.header), teacherForcing: teacherForcing,
                parallelism: parallelism, optimizers: try replayedAs.map { try optimizers.replaying(reader.header.optimizer, as: $0) } ?? optimizers)
            let result = try replay.run(reader)
            return FixtureRun(
                path: path, verdict: .result(result), details: details ? self.details(result, reader, replay) : nil)
        } catch let error as FixtureError {
            return invalid(path, error.description, header)
        } catch let error as ReplayError {
            return invalid(path, error.line(file: path), header)
        } catch {
            return invalid(path, "\(path): /: \(error)", header)
        }
    }

    private func invalid(_ path: String, _ message: String, _ header: FixtureHeader?) -> FixtureRun {
        FixtureRun(path: path, verdict: .invalid(message), details: details ? ReportDetails(header: header) : nil)
    }

    /// The header, and for a failure the elements around it and the explanation.
    private func details(_ result: VerificationResult, _ reader: FixtureReader, _ replay: Replay) -> ReportDetails {
        var details = ReportDetails(header: reader.header)
        guard let failure = result.firstFailure else { return details }
        do {
            if let values = try replay.values(reader, of: failure.tensor, after: failure.step) {
                details.neighbourhood = Neighbourhood(
                    tensor: failure.tensor, step: failure.step, index: failure.index, shape: shape(of: failure.tensor, in: reader),
                    dtype: result.dtype, actual: values.actual, expected: values.expected, tolerance: result.tolerance)
            } else {
                details.neighbourhoodNote = "The values around a failure are shown for parameters and their state only."
            }
        } catch {
            details.neighbourhoodNote = "The replay to step \(failure.step) failed: \(error)"
        }
        (details.explanation, details.explanationNote) = explain(reader.path, tolerance: result.tolerance)
        return details
    }

    /// The shape of a parameter's value or state tensor.
    private func shape(of tensor: String, in reader: FixtureReader) -> [Int] {
        for parameter in reader.parameters {
            if tensor == parameter.path + "/param" { return parameter.shape }
            for key in parameter.stateKeys where tensor == parameter.path + "/state/\(key)" {
                return parameter.stateShape(key) ?? []
            }
        }
        return []
    }

    /// What `verify explain` says of a failing fixture, judged with the same bounds.
    private func explain(_ path: String, tolerance: Tolerance) -> (Explanation?, String?) {
        do {
            return (try Explainer(optimizers: optimizers, tolerance: tolerance).explain(path, as: replayedAs), nil)
        } catch let error as ReplayError {
            return (nil, "No explanation: \(error.line(file: path))")
        } catch {
            return (nil, "No explanation: \(error)")
        }
    }
}
