/// An error an optimizer raises, with torch's exception kind and torch's message.
///
/// `description` is the message alone, exactly as torch words it, e.g.
/// `Invalid learning rate: -1.0`, so callers can compare it with torch's.
public struct OptimizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Python exception torch raises for the same input.
    public enum Kind: String, Sendable, Equatable {
        case valueError = "ValueError"
        case runtimeError = "RuntimeError"
        case keyError = "KeyError"
        case typeError = "TypeError"
        case zeroDivisionError = "ZeroDivisionError"
        case indexError = "IndexError"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
