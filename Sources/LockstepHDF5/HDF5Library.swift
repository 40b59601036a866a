import CHDF5
import Foundation

/// The one gate to the HDF5 C library.
///
/// The serial HDF5 library is not safe to call from several threads at once, so every
/// call in this module goes through ``HDF5Library/call(_:)``, which holds one process-wide
/// recursive lock. On first use the library's automatic error printing is switched off:
/// failures are read from the error stack and returned as ``HDF5Error`` values instead.
enum HDF5Library {
    private static let lock = NSRecursiveLock()
    nonisolated(unsafe) private static var initialized = false
    nonisolated(unsafe) private static var linkAccessList: hid_t = -1

    /// Runs `body` (one or more C calls) under the library lock.
    static func call<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        if !initialized {
            _ = H5open()
            _ = H5Eset_auto2(lockstep_h5e_default(), nil, nil)
            linkAccessList = makeLinkAccessList()
            initialized = true
        }
        return try body()
    }

    /// The link access property list every object is opened with: one that refuses to
    /// traverse an external link, wherever on a path it appears (a soft link may lead through
    /// one), so that nothing is ever read from another file. ``HDF5Group/childKind(_:)``
    /// names an external link before it comes to that; this is the backstop. Call under the lock.
    static var linkAccess: hid_t { linkAccessList >= 0 ? linkAccessList : lockstep_h5p_default() }

    private static func makeLinkAccessList() -> hid_t {
        let list = H5Pcreate(lockstep_h5p_link_access())
        guard list >= 0 else { return -1 }
        let refuse: H5L_elink_traverse_t = { _, _, _, _, _, _, _ in -1 }
        guard H5Pset_elink_cb(list, refuse, nil) >= 0 else {
            H5Pclose(list)
            return -1
        }
        return list
    }

    /// Keeps the links of a group (`plist` a group or file creation property list) and the
    /// attributes of any object in its object header however many there are, instead of
    /// moving them to "dense" storage (a fractal heap and a B-tree) past 8 of them, HDF5's
    /// default: in HDF5 1.10's format the object header carries a checksum. Call under the lock.
    static func compactStorage(_ plist: hid_t) -> herr_t {
        // 65535 is the most HDF5 allows; a group or object never shrinks in our files.
        let links = H5Pset_link_phase_change(plist, 65535, 65535)
        return links < 0 ? links : H5Pset_attr_phase_change(plist, 65535, 65535)
    }

    /// The messages HDF5 left on its error stack, innermost last, then clears the stack.
    /// Call while holding the lock, right after the failing call.
    static func takeErrorStack() -> String? {
        let collector = NameCollector()
        let pointer = Unmanaged.passUnretained(collector).toOpaque()
        _ = H5Ewalk2(lockstep_h5e_default(), H5E_WALK_DOWNWARD, { _, entry, context in
            guard let entry, let context else { return 0 }
            let collector = Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue()
            var text = entry.pointee.desc.map { String(cString: $0) } ?? ""
            var buffer = [CChar](repeating: 0, count: 256)
            var msgType = H5E_MAJOR
            if H5Eget_msg(entry.pointee.min_num, &msgType, &buffer, buffer.count) > 0 {
                let minor = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                text = text.isEmpty ? minor : "\(text): \(minor)"
            }
            if !text.isEmpty { collector.lines.append(text) }
            return 0
        }, pointer)
        _ = H5Eclear2(lockstep_h5e_default())
        guard !collector.lines.isEmpty else { return nil }
        // The innermost two entries say the most; the outer ones repeat "can't open".
        return collector.lines.suffix(2).joined(separator: "; ")
    }
}

/// Runs `body` under the lock every call into the HDF5 C library takes (see
/// ``HDF5Library``), for code that calls the C library directly: tests that craft files
/// this layer never writes. Automatic error printing is off inside.
public func withHDF5LibraryLock<R>(_ body: () throws -> R) rethrows -> R {
    try HDF5Library.call(body)
}

/// Gathers strings from HDF5's C iteration callbacks.
final class NameCollector {
    var lines: [String] = []

    /// Runs an HDF5 iteration whose callback appends to the collector passed as its context,
    /// and returns what it gathered. Call under the library lock.
    static func collect(
        file: String, object: String, _ what: String, _ iterate: (UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let collector = NameCollector()
        try checkStatus(iterate(Unmanaged.passUnretained(collector).toOpaque()), file: file, object: object, "cannot list \(what)")
        return collector.lines
    }

    /// Appends `name` to the collector behind `context`.
    static func append(_ name: UnsafePointer<CChar>?, to context: UnsafeMutableRawPointer?) {
        guard let name, let context else { return }
        Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue().lines.append(String(cString: name))
    }
}

/// Checks an HDF5 identifier result, turning a negative id into a typed error.
func checkID(
    _ id: hid_t, _ kind: HDF5Error.Kind, file: String, object: String, _ message: @autoclosure () -> String
) throws -> hid_t {
    if id < 0 {
        throw HDF5Error(kind, file: file, object: object, message: message(), detail: HDF5Library.takeErrorStack())
    }
    return id
}

/// Checks an HDF5 status result (`herr_t`), turning a negative status into a typed error.
func checkStatus(
    _ status: herr_t, _ kind: HDF5Error.Kind = .libraryFailure, file: String, object: String,
    _ message: @autoclosure () -> String
) throws {
    if status < 0 {
        throw HDF5Error(kind, file: file, object: object, message: message(), detail: HDF5Library.takeErrorStack())
    }
}

/// Owns one HDF5 identifier and closes it when released.
public final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.close = close
    }

    deinit {
        HDF5Library.call { _ = close(id) }
    }
}

/// Joins an object path and a child name: `/params` + `w` is `/params/w`.
func joinPath(_ parent: String, _ child: String) -> String {
    parent == "/" ? "/" + child : parent + "/" + child
}
