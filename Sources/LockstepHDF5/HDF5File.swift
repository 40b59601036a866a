import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open HDF5 file. The file is closed when the last reference to it, or to any object
/// inside it, is released.
public final class HDF5File: Sendable {
    /// The path the file was opened with.
    public let path: String
    let handle: HDF5Handle
    /// Set when every dataset opened from now on must carry content digests.
    private let contentDigestsRequired = OnceFlag()

    /// From now on, opening a dataset that holds an element and has no content digest
    /// (``HDF5ContentDigest``) is an error: the file promises them (format extension 18's
    /// root attribute `content_digest`).
    public func requireContentDigests() { contentDigestsRequired.set() }

    /// Whether ``requireContentDigests()`` was called.
    public var requiresContentDigests: Bool { contentDigestsRequired.isSet }

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
    /// Only a regular file (or a symbolic link to one) is opened: the path is opened first
    /// without blocking and checked with `fstat`, so that a FIFO, a device or a directory is
    /// refused rather than read (a FIFO would block forever), and permission denied is said
    /// as such. After HDF5 opens it, the file it opened is checked to be the same one.
    ///
    /// - Throws: ``HDF5Error`` with kind `.cannotOpenFile` when the file is missing, is not
    ///   HDF5, or is damaged so badly that its superblock cannot be read; `.unreadable` for
    ///   a file that is not regular or may not be read.
    public static func open(readingAt path: String) throws -> HDF5File {
        let identity = try regularFileIdentity(path)
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
            let file = HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose))
            if let opened = file.openedIdentity(fapl), opened != identity {
                throw HDF5Error(.unreadable, file: path, object: "/", message: "the file was replaced while it was being opened")
            }
            return file
        }
    }

    /// The device and inode of the regular file at `path` (following symbolic links).
    ///
    /// The path is opened read-only and non-blocking, then checked with `fstat`: a FIFO
    /// opens at once without a writer, and is refused with the other kinds of file.
    static func regularFileIdentity(_ path: String) throws -> FileIdentity {
        func refuse(_ kind: HDF5Error.Kind, _ message: String) -> HDF5Error {
            HDF5Error(kind, file: path, object: "/", message: message)
        }
        let descriptor = openWithoutBlocking(path)
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR:
                throw refuse(
                    .cannotOpenFile,
                    path.contains("\u{FFFD}")
                        ? "no such file (the name holds U+FFFD, which is how a name that is not valid UTF-8 arrives: rename the file)"
                        : "no such file")
            case EACCES, EPERM: throw refuse(.unreadable, "permission denied")
            default: throw refuse(.unreadable, "cannot open the file: \(String(cString: strerror(code)))")
            }
        }
        defer { closeDescriptor(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw refuse(.unreadable, "cannot read the file's status: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw refuse(.unreadable, "is \(FileIdentity.kindName(info.st_mode)), not a regular file")
        }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The device and inode of the file HDF5 opened, or `nil` when the driver does not say.
    /// Call under the library lock.
    private func openedIdentity(_ fapl: hid_t) -> FileIdentity? {
        defer { _ = H5Eclear2(lockstep_h5e_default()) }
        var pointer: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(handle.id, fapl, &pointer) >= 0, let pointer else { return nil }
        var info = stat()
        guard fstat(pointer.load(as: Int32.self), &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
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
            // The root group keeps its links and attributes in its (checksummed) object header.
            let fcpl = try checkID(
                H5Pcreate(lockstep_h5p_file_create()), .libraryFailure, file: path, object: "/",
                "cannot create a file creation property list")
            defer { H5Pclose(fcpl) }
            try checkStatus(HDF5Library.compactStorage(fcpl), file: path, object: "/", "cannot keep the root's links compact")
            let id = try checkID(
                H5Fcreate(path, lockstep_h5f_acc_trunc(), fcpl, fapl),
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

/// Which file a path names: its device and inode, to tell whether two paths are one file.
public struct FileIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path` after symbolic links, or `nil` when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// "a FIFO", "a directory", ... for a `st_mode`.
    public static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}

/// `open(2)` read-only and non-blocking (a FIFO opens at once), outside ``HDF5File``, whose
/// `open` methods would shadow the C function.
private func openWithoutBlocking(_ path: String) -> Int32 {
    open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
}

private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }
