import CHDF5

/// What groups and datasets share: a file, a path, an open identifier, and attributes.
public protocol HDF5Object: AnyObject, Sendable {
    /// The file this object lives in.
    var file: HDF5File { get }
    /// The object's absolute path inside the file, e.g. `/params/w`.
    var path: String { get }
    /// The open identifier. Internal: use the typed API.
    var handle: HDF5Handle { get }
}

extension HDF5Object {
    /// Builds an error about this object.
    public func error(_ kind: HDF5Error.Kind, _ message: String, detail: String? = nil) -> HDF5Error {
        HDF5Error(kind, file: file.path, object: path, message: message, detail: detail)
    }
}
