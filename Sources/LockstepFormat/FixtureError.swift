import LockstepHDF5

/// A fixture that breaks the format, or cannot be read: which file, which object, what is wrong.
///
/// Its description is the one line a user sees:
/// `fixtures/adamw.h5: /params/w/state/exp_avg: shape [30, 5, 6] disagrees with initial [5, 7]`.
public struct FixtureError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var object: String
    public var message: String

    public init(file: String, object: String, message: String) {
        self.file = file
        self.object = object
        self.message = message
    }

    /// The same failure, reported by the HDF5 layer.
    public init(_ error: HDF5Error) {
        self.init(file: error.file, object: error.object, message: error.detail.map { "\(error.message) (HDF5: \($0))" } ?? error.message)
    }

    public var description: String { "\(file): \(object): \(message)" }
}

/// Runs `body`, turning HDF5 layer errors into ``FixtureError``s.
func translatingErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as HDF5Error {
        throw FixtureError(error)
    }
}
