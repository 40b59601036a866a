/// A failure in the HDF5 layer: what went wrong, in which file, at which object.
///
/// Every error names the file and the object path (`/params/w/state/exp_avg`), so a
/// message can be shown to a user as one line: `adamw.h5: /params/w/grad: dataset not found`.
public struct HDF5Error: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or created (missing, not HDF5, truncated, unwritable).
        case cannotOpenFile
        /// An object (group, dataset, attribute) that was asked for does not exist.
        case notFound
        /// The object exists but has the wrong kind, type or shape for the request.
        case typeMismatch
        /// The HDF5 library reported a failure while reading or writing.
        case libraryFailure
        /// A request the caller made does not fit the object (row out of range, ...).
        case invalidRequest
        /// The object would be read from outside the file (an external link, a virtual
        /// dataset, external raw storage), which the layer refuses.
        case outsideFile
        /// A dataset's storage disagrees with what it declares: an element count that
        /// overflows, more bytes than the file holds, chunks that are not stored (HDF5 would
        /// read its fill value), or more bytes than ``HDF5Dataset/memoryBudget`` in one read.
        case badStorage
        /// The file cannot be read: a FIFO, device or directory, or permission denied.
        case unreadable
        /// The data disagrees with its content digest (format extension 18): it was changed
        /// after it was written.
        case changedData
    }

    public var kind: Kind
    /// The file's path as it was given to the layer.
    public var file: String
    /// The HDF5 object path, `/` for the file itself.
    public var object: String
    /// What is wrong, in words.
    public var message: String
    /// The innermost messages of HDF5's own error stack, if it left any.
    public var detail: String?

    public init(_ kind: Kind, file: String, object: String, message: String, detail: String? = nil) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
        self.detail = detail
    }

    public var description: String {
        var text = "\(file): \(object): \(message)"
        if let detail, !detail.isEmpty { text += " (HDF5: \(detail))" }
        return text
    }
}
