import LockstepFormat
import LockstepHarness
import LockstepOptim

/// `verify mutants`: whether a set of fixtures can fail at all. Every catalogue entry for
/// the optimizer they name is replayed against them; an entry is killed when some fixture
/// rejects it, and survives when every fixture passes it.
///
/// A fixture judges an entry as strictly as it judges the optimizer itself: bit for bit
/// where the optimizer reproduces it bit for bit, else within its bounds (the file's, then
/// the dtype's). Bounds given explicitly replace both. Fixtures the optimizer itself fails
/// judge nothing.
public struct MutationTester: Sendable {
    public var optimizers: OptimizerCatalog
    /// The bounds each fixture is judged by, from its header (the command line's bounds
    /// completed by the fixture's, then its dtype's); `nil`: each fixture's own bounds, else
    /// its dtype's (as `verify`), and bit for bit where the optimizer replays it bit for bit.
    public var bounds: (@Sendable (FixtureHeader) -> Tolerance)?

    public init(optimizers: OptimizerCatalog = .builtIn, bounds: (@Sendable (FixtureHeader) -> Tolerance)? = nil) {
        self.optimizers = optimizers
        self.bounds = bounds
    }

    /// A tester that judges every fixture by `tolerance` (`nil`: as ``init(optimizers:bounds:)`` without bounds).
    public init(optimizers: OptimizerCatalog = .builtIn, tolerance: Tolerance?) {
        guard let tolerance else {
            self.init(optimizers: optimizers, bounds: nil)
            return
        }
        self.init(optimizers: optimizers, bounds: { _ in tolerance })
    }

    /// Runs every entry for each optimizer the fixtures at `paths` name (or `optimizer`,
    /// replaying them all as it), one report per optimizer in order of first appearance.
    ///
    /// - Parameters:
    ///   - paths: the fixtures.
    ///   - optimizer: judge every fixture as this optimizer (`--as`), not the one it names.
    ///   - map: runs the entries' checks, possibly in parallel, results in order.
    /// - Throws: `FixtureError` for a fixture that cannot be read.
    public func run(
        _ paths: [String], as optimizer: String? = nil,
        map: ([CatalogueEntry], @escaping @Sendable (CatalogueEntry) -> MutationReport.Row) -> [MutationReport.Row] = { $0.map($1) }
    ) throws -> [MutationReport] {
        var order: [String] = []
        var byOptimizer: [String: [(path: String, recorded: String)]] = [:]
        for path in paths {
            let recorded = try FixtureReader(path: path).header.optimizer
            let target = optimizer ?? recorded
            if byOptimizer[target] == nil { order.append(target) }
            byOptimizer[target, default: []].append((path, recorded))
        }
        return try order.map { target in try report(target, byOptimizer[target]!, map: map) }
    }

    private func report(
        _ target: String, _ fixtures: [(path: String, recorded: String)],
        map: ([CatalogueEntry], @escaping @Sendable (CatalogueEntry) -> MutationReport.Row) -> [MutationReport.Row]
    ) throws -> MutationReport {
        // The fixtures the optimizer itself passes: only they can judge a mutant.
        var judges: [(path: String, recorded: String, base: OptimizerCatalog, exact: Bool)] = []
        var failing: [String] = []
        for fixture in fixtures {
            let base = try optimizers.replaying(fixture.recorded, as: target)
            if let reference = try? replay(fixture.path, with: base), reference.passed {
                judges.append((fixture.path, fixture.recorded, base, bounds == nil && reference.isExact))
            } else {
                failing.append(fixture.path)
            }
        }
        let judged = judges
        let rows = map(Catalogue.entries(for: target, in: optimizers)) { entry in
            var row = MutationReport.Row(entry)
            var replayed = false
            for judge in judged {
                guard let catalog = entry.catalog(from: judge.base, target: target, recorded: judge.recorded) else { break }
                let result: VerificationResult
                do {
                    result = try replay(judge.path, with: catalog)
                } catch ReplayError.invalidInput(let object, let message) where object != "/" {
                    // The replay ran and found a recorded value it cannot hold (a state of
                    // another shape): the fixture tells the entry apart.
                    (row.status, row.killedBy, row.firstFailure) = (.killed, judge.path, "\(object): \(message)")
                    break
                } catch {
                    continue  // the entry rejects this fixture's configuration
                }
                replayed = true
                if !result.passed || (judge.exact && !result.isExact) {
                    (row.status, row.killedBy) = (.killed, judge.path)
                    row.firstFailure = result.firstFailureDescription
                    break
                }
            }
            if row.killedBy == nil { row.status = replayed ? .survived : .notApplicable }
            if row.status == .survived {
                switch Catalogue.survivorReason(entry.id, optimizer: target) {
                case .equivalent(let reason)?: (row.status, row.explanation) = (.equivalent, reason)
                case .indistinguishable(let reason)?: row.explanation = reason
                case nil: break
                }
            }
            return row
        }
        return MutationReport(optimizer: target, fixtures: judges.map(\.path), failingFixtures: failing, rows: rows)
    }

    private func replay(_ path: String, with catalog: OptimizerCatalog) throws -> VerificationResult {
        let reader = try FixtureReader(path: path)
        let header = reader.header
        let tolerance =
            bounds?(header) ?? Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        return try Replay(tolerance: tolerance, optimizers: catalog).run(reader)
    }
}

/// What `verify mutants` found for one optimizer's fixtures.
public struct MutationReport: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public enum Status: String, Sendable, Codable {
            case killed
            case survived
            /// The entry could not replay any fixture (it rejects their configurations).
            case notApplicable = "not applicable"
            /// The entry computes the optimizer's own numbers for every input
            /// (``Catalogue/SurvivorReason/equivalent(_:)``): not counted in the score.
            case equivalent
        }

        public var id: String
        public var title: String
        public var kind: CatalogueEntry.Kind
        public var status: Status = .survived
        /// The first fixture that rejects the entry, and its first failure.
        public var killedBy: String?
        public var firstFailure: String?
        /// For a survivor: what kind of trajectory would kill it.
        public var advice: String
        /// For an equivalent entry, or a survivor the catalogue explains: why no golden kills it.
        public var explanation: String?

        init(_ entry: CatalogueEntry) {
            (id, title, kind, advice) = (entry.id, entry.title, entry.kind, entry.killedBy)
        }
    }

    public var optimizer: String
    /// The fixtures that judged the entries: those the optimizer itself passes.
    public var fixtures: [String]
    /// Fixtures the optimizer itself fails, which cannot judge anything.
    public var failingFixtures: [String]
    public var rows: [Row]

    public var killed: Int { rows.filter { $0.status == .killed }.count }
    public var survivors: [Row] { rows.filter { $0.status == .survived } }
    /// Survivors the catalogue does not explain: each wants a new fixture.
    public var unexplainedSurvivors: [Row] { survivors.filter { $0.explanation == nil } }
    /// Killed ÷ (killed + survived): equivalent entries and those that apply to no fixture
    /// do not count.
    public var score: Double {
        let judged = rows.filter { $0.status == .killed || $0.status == .survived }.count
        return judged == 0 ? 1 : Double(killed) / Double(judged)
    }
}
