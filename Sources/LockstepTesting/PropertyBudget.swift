import Foundation
import Testing

/// How many generated cases each property runs, and how many runs may go to shrinking a
/// failing one.
///
/// Every property check draws a fresh random seed per run, so CI explores new inputs each
/// time. `LOCKSTEP_PROPERTY_SCALE=N` multiplies every budget by `N` for a soak run, e.g.
/// `LOCKSTEP_PROPERTY_SCALE=50 swift test --filter Properties` (about 5 000–7 500 cases
/// per law); a failure prints the shrunk input and the `.fixedSeed("…")` that replays it.
/// Shrinking stops after ``shrinkAttempts`` runs (`LOCKSTEP_PROPERTY_SHRINK=N` to change it,
/// e.g. higher to shrink a replayed seed further), so a failing property reports in bounded
/// time (``boundedPropertyCheck(count:input:shrinkAttempts:perform:isolation:sourceLocation:)``).
public enum PropertyBudget {
    /// The multiplier from `LOCKSTEP_PROPERTY_SCALE`: 1 when unset; a value that is not a
    /// positive integer fails the test that asks (and the property runs its base budget).
    public static let scale: Result<Int, ScaleError> = {
        guard let text = ProcessInfo.processInfo.environment["LOCKSTEP_PROPERTY_SCALE"] else { return .success(1) }
        guard let n = Int(text), n >= 1 else { return .failure(ScaleError(text: text)) }
        return .success(n)
    }()

    /// `LOCKSTEP_PROPERTY_SCALE` is set to something other than a positive integer.
    public struct ScaleError: Error, Sendable, CustomStringConvertible {
        /// The variable's value.
        public var text: String
        public var description: String { "LOCKSTEP_PROPERTY_SCALE must be a positive integer, got \"\(text)\"" }
    }

    /// Shrinking's budget when `LOCKSTEP_PROPERTY_SHRINK` is unset: 1 000 runs, ten times a
    /// law's 100 cases, so a failing law takes at most about eleven times its passing time
    /// (a shrink that never ended once took 54 minutes of a debug run).
    public static let defaultShrinkAttempts = 1000

    /// The most runs of a property spent shrinking a failing case: `LOCKSTEP_PROPERTY_SHRINK`,
    /// a non-negative integer (0 reports the case as generated), else
    /// ``defaultShrinkAttempts``. Any other value records an issue and gives the default.
    public static var shrinkAttempts: Int {
        guard let text = ProcessInfo.processInfo.environment["LOCKSTEP_PROPERTY_SHRINK"] else { return defaultShrinkAttempts }
        guard let n = Int(text), n >= 0 else {
            Issue.record("LOCKSTEP_PROPERTY_SHRINK must be a non-negative integer, got \"\(text)\"")
            return defaultShrinkAttempts
        }
        return n
    }

    /// `base` cases, times the soak multiplier; an invalid multiplier records an issue at
    /// `sourceLocation` and gives `base`.
    public static func cases(_ base: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        switch scale {
        case .success(let n): return base * n
        case .failure(let error):
            Issue.record(error, sourceLocation: sourceLocation)
            return base
        }
    }
}
