import LockstepFormat
import LockstepHarness
import LockstepOptim

/// `verify explain`: replays a fixture with every catalogue entry in place of its optimizer
/// and ranks them by how close each comes to the recorded trajectory.
///
/// ```swift
/// let explanation = try Explainer().explain("adam_l2.h5", as: "AdamW")
/// print(explanation.reproducing.first?.title ?? "unexplained")  // L2 penalty instead of decoupled decay
/// ```
public struct Explainer: Sendable {
    /// The optimizers fixtures may name (Lockstep's, and the caller's own).
    public var optimizers: OptimizerCatalog
    /// The bounds an entry must meet to reproduce a trajectory within tolerance; `nil`:
    /// the fixture's, else its dtype's.
    public var tolerance: Tolerance?

    public init(optimizers: OptimizerCatalog = .builtIn, tolerance: Tolerance? = nil) {
        self.optimizers = optimizers
        self.tolerance = tolerance
    }

    /// Explains the fixture at `path`, replayed as `optimizer` (default: the one it names):
    /// the optimizer itself, then every catalogue entry for it, ranked.
    ///
    /// - Throws: `FixtureError` or `ReplayError` when the fixture cannot be read, or the
    ///   optimizer itself cannot replay it (an unknown name, rejected hyperparameters).
    public func explain(_ path: String, as optimizer: String? = nil) throws -> Explanation {
        let reader = try FixtureReader(path: path)
        let header = reader.header
        let recorded = header.optimizer
        let target = optimizer ?? recorded
        let base = try catalog(replaying: recorded, as: target)
        let tolerance = tolerance ?? Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        let reference = candidate(
            Result { try Replay(tolerance: tolerance, optimizers: base).run(reader) }, path: path,
            id: "reference", title: target, summary: "the optimizer itself", source: nil, kind: .reference)
        if case .failure(let error) = reference.outcome { throw error }
        var candidates: [Explanation.Candidate] = []
        for entry in Catalogue.entries(for: target, in: optimizers) {
            guard let catalog = entry.catalog(from: base, target: target, recorded: recorded) else { continue }
            let outcome = Result { try Replay(tolerance: tolerance, optimizers: catalog).run(reader) }
            candidates.append(
                candidate(outcome, path: path, id: entry.id, title: entry.title, summary: entry.summary, source: entry.source,
                          kind: entry.kind).value)
        }
        candidates = Self.ranked(candidates)
        let verdict: Explanation.Verdict =
            reference.value.passed ? .matchesReference
            : candidates.contains(where: \.exact) ? .reproducedExactly
            : candidates.contains(where: \.passed) ? .reproducedWithinTolerance : .unexplained
        return Explanation(
            fixture: path, recordedOptimizer: recorded, optimizer: target, dtype: header.dtype.rawValue, verdict: verdict,
            reference: reference.value, candidates: candidates)
    }

    /// The catalog in which fixtures named `recorded` replay as `target`.
    func catalog(replaying recorded: String, as target: String) throws -> OptimizerCatalog {
        try optimizers.replaying(recorded, as: target)
    }

    /// Closest first: bit-exact, then within tolerance, then by largest ULP error (NaN and
    /// failed replays last), then by relative error; ties in catalogue order.
    static func ranked(_ candidates: [Explanation.Candidate]) -> [Explanation.Candidate] {
        func key(_ c: Explanation.Candidate) -> (Int, Int, UInt64, Double) {
            (c.exact ? 0 : 1, c.passed ? 0 : 1, c.error != nil ? .max : (c.maxULPError ?? .max - 1), c.maxRelativeError ?? .infinity)
        }
        return candidates.enumerated().sorted { a, b in
            let (x, y) = (key(a.element), key(b.element))
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }

    private struct Replayed {
        var value: Explanation.Candidate
        var outcome: Result<VerificationResult, Error>
    }

    private func candidate(
        _ outcome: Result<VerificationResult, Error>, path: String, id: String, title: String, summary: String, source: String?,
        kind: CatalogueEntry.Kind
    ) -> Replayed {
        var c = Explanation.Candidate(
            id: id, title: title, summary: summary, source: source, kind: kind, exact: false, passed: false)
        switch outcome {
        case .success(let result):
            c.exact = result.isExact
            c.passed = result.passed
            c.maxULPError = result.maxULPError
            c.maxRelativeError = result.maxRelativeError
            c.firstFailure = result.firstFailureDescription
            c.signature = ErrorSignature(result)
        case .failure(let error):
            c.error = (error as? ReplayError)?.line(file: path) ?? (error as? FixtureError)?.description ?? "\(path): /: \(error)"
        }
        return Replayed(value: c, outcome: outcome)
    }
}
