import LockstepHarness

/// What `verify explain` found for one fixture: which catalogue entry, if any, reproduces
/// its trajectory, ranked by how close each came.
public struct Explanation: Sendable, Codable {
    /// One replay of the fixture: the optimizer itself, or a catalogue entry in its place.
    public struct Candidate: Sendable, Codable {
        /// The catalogue entry's id (``CatalogueEntry/id``); `reference` for the optimizer itself.
        public var id: String
        public var title: String
        public var summary: String
        /// Where the convention comes from (a framework's source, a paper), if it is one.
        public var source: String?
        public var kind: CatalogueEntry.Kind
        /// Every value bit for bit.
        public var exact: Bool
        /// Within the replay's tolerance.
        public var passed: Bool
        /// The largest ULP error over every compared tensor and step (`nil`: NaN against a
        /// number, or not replayed).
        public var maxULPError: UInt64?
        public var maxRelativeError: Double?
        /// `verify`'s line for the first failure, if any.
        public var firstFailure: String?
        /// Why the entry could not replay the fixture (it rejects its hyperparameters), if so.
        public var error: String?
        /// The error's development over the steps.
        public var signature: ErrorSignature?
    }

    public enum Verdict: String, Sendable, Codable {
        /// The optimizer itself reproduces the trajectory (bit for bit, or within tolerance).
        case matchesReference = "matches the optimizer"
        /// A catalogue entry reproduces it bit for bit.
        case reproducedExactly = "reproduced bit for bit"
        /// A catalogue entry reproduces it within tolerance, none bit for bit.
        case reproducedWithinTolerance = "reproduced within tolerance"
        /// Nothing in the catalogue reproduces it.
        case unexplained
    }

    /// The fixture's path and its `optimizer` attribute.
    public var fixture: String
    public var recordedOptimizer: String
    /// The optimizer replayed (`--as`), which the catalogue's entries stand in for.
    public var optimizer: String
    public var dtype: String
    public var verdict: Verdict
    /// The optimizer itself.
    public var reference: Candidate
    /// Every catalogue entry tried, closest first: bit-exact ones, then those within
    /// tolerance, then by largest ULP error (NaN last), then by relative error.
    public var candidates: [Candidate]

    /// The entries that reproduce the trajectory (bit for bit where any does).
    public var reproducing: [Candidate] {
        let exact = candidates.filter(\.exact)
        return exact.isEmpty ? candidates.filter(\.passed) : exact
    }
}
