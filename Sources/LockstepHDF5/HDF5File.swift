import CHDF5
import Foundation

/// An open HDF5 file. The file is closed when the last reference to it, or to any object
/// inside it, is released.
public final class HDF5File: Sendable {
    /// The path the file was opened with.
    public let path: String
    let handle: HDF5Handle

    private init(path: String, handle: HDF5Handle) {
        self.path = path
        self.handle = handle
    }

    /// A file access property list for opening and creating files: HDF5's own file locking
    /// is off, because this layer serialises every call itself, writers replace files by
    /// renaming, and flock-based locks fail on some filesystems and on a quick reopen.
    private static func accessPropertyList(_ path: String) throws -> hid_t {
        let fapl = try checkID(
            H5Pcreate(lockstep_h5p_file_access()), .libraryFailure, file: path, object: "/",
            "cannot create a file access property list")
        if H5Pset_file_locking(fapl, false, true) < 0 {
            H5Pclose(fapl)
            throw HDF5Error(.libraryFailure, file: path, object: "/", message: "cannot turn off file locking",
                            detail: HDF5Library.takeErrorStack())
        }
        return fapl
    }

    /// Opens an existing file for reading and writing, to change it in place.
    ///
    /// Fixtures are written whole with ``write(to:_:)``; this exists for tools and tests that
    /// edit a file (for example to build a deliberately broken copy).
    public static func open(updatingAt path: String) throws -> HDF5File {
        try HDF5Library.call {
            let fapl = try accessPropertyList(path)
            defer { H5Pclose(fapl) }
            let id = try checkID(
                H5Fopen(path, lockstep_h5f_acc_rdwr(), fapl), .cannotOpenFile, file: path, object: "/",
                "cannot open the HDF5 file for writing")
            return HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose))
        }
    }

    /// Opens an existing file for reading.
    ///
    /// - Throws: ``HDF5Error`` with kind `.cannotOpenFile` when the file is missing, is not
    ///   HDF5, or is damaged so badly that its superblock cannot be read.
    public static func open(readingAt path: String) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HDF5Error(.cannotOpenFile, file: path, object: "/", message: "no such file")
        }
        return try HDF5Library.call {
            if H5Fis_hdf5(path) <= 0 {
                _ = HDF5Library.takeErrorStack()
                throw HDF5Error(.cannotOpenFile, file: path, object: "/", message: "not an HDF5 file")
            }
            let fapl = try accessPropertyList(path)
            defer { H5Pclose(fapl) }
            let id = try checkID(
                H5Fopen(path, lockstep_h5f_acc_rdonly(), fapl),
                .cannotOpenFile, file: path, object: "/", "cannot open the HDF5 file")
            return HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose))
        }
    }

    /// Creates (or truncates) a file for writing, readable by HDF5 1.10 and later.
    ///
    /// The file uses the object formats of HDF5 1.10, whose metadata carries checksums, so
    /// damage to it is reported as an error rather than misread.
    ///
    /// Prefer ``write(to:_:)``, which writes to a temporary file and renames it into place.
    public static func create(at path: String) throws -> HDF5File {
        try HDF5Library.call {
            let fapl = try accessPropertyList(path)
            defer { H5Pclose(fapl) }
            // HDF5 1.10's formats: checksummed superblock and object headers, readable by 1.10.
            try checkStatus(
                H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110), file: path, object: "/",
                "cannot set the library version bounds")
            let id = try checkID(
                H5Fcreate(path, lockstep_h5f_acc_trunc(), lockstep_h5p_default(), fapl),
                .cannotOpenFile, file: path, object: "/", "cannot create the HDF5 file")
            return HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose))
        }
    }

    /// Writes a file atomically: `body` fills a temporary file beside `path`, which is
    /// flushed, closed and renamed over `path` only if `body` succeeds. On failure the
    /// temporary file is removed and any existing file at `path` is left untouched.
    public static func write(to path: String, _ body: (HDF5File) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)").path
        // In a function of its own so that every handle into the file is released, and the
        // file closed, when it returns: before the rename.
        func fill() throws {
            let file = try create(at: temporary)
            try body(file)
            try file.flush()
        }
        do {
            try fill()
            if rename(temporary, path) != 0 {
                throw HDF5Error(
                    .cannotOpenFile, file: path, object: "/",
                    message: "cannot rename the finished file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Flushes buffered data to disk.
    public func flush() throws {
        try HDF5Library.call {
            try checkStatus(H5Fflush(handle.id, H5F_SCOPE_LOCAL), file: path, object: "/", "cannot flush the file")
        }
    }

    /// The root group, `/`.
    public var root: HDF5Group {
        get throws {
            try HDF5Library.call {
                let id = try checkID(
                    H5Gopen2(handle.id, "/", lockstep_h5p_default()), .libraryFailure, file: path, object: "/",
                    "cannot open the root group")
                return HDF5Group(file: self, path: "/", handle: HDF5Handle(id, close: H5Gclose))
            }
        }
    }
}
