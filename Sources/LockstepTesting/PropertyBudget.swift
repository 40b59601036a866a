import Foundation
import Testing

/// How many generated cases each property runs.
///
/// Every property check draws a fresh random seed per run, so CI explores new inputs each
/// time. `LOCKSTEP_PROPERTY_SCALE=N` multiplies every budget by `N` for a soak run, e.g.
/// `LOCKSTEP_PROPERTY_SCALE=50 swift test --filter Properties` (about 5 000–7 500 cases
/// per law); a failure prints the shrunk input and the `.fixedSeed("…")` that replays it.
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
