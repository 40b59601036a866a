import LockstepFormat
import LockstepOptim

/// Why a replay could not be judged at all (as opposed to a mismatch).
public enum ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The fixture is unreadable or breaks the format.
    case fixture(FixtureError)
    /// The fixture is well-formed but cannot be replayed: unknown optimizer, a rejected
    /// hyperparameter, a state key the optimizer does not keep, ...
    case invalidInput(object: String, message: String)

    public var description: String {
        switch self {
        case .fixture(let error): error.description
        case .invalidInput(let object, let message): "\(object): \(message)"
        }
    }

    /// The same error with the file named, as the one line a user sees.
    public func line(file: String) -> String {
        switch self {
        case .fixture(let error): error.description
        case .invalidInput(let object, let message): "\(file): \(object): \(message)"
        }
    }
}
