import Foundation
import LockstepHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a report `verify` was asked for (`--json`, `--report`), printing one error line
/// on failure; returns whether it was written. The data is made only when the path is fit.
func writeReport(
    _ what: String, to path: String, readingFrom inputs: [String], report: TextReport, _ data: () throws -> Data
) -> Bool {
    do {
        try ReportFile(path: path, inputs: inputs).write(try data())
        return true
    } catch let error as ReportError {
        report.error("\(path): cannot write \(what): \(error.message)")
    } catch {
        report.error("\(path): cannot write \(what): \(error)")
    }
    return false
}

/// Why a report could not be written.
struct ReportError: Error {
    var message: String
}

/// Where a report goes, checked: a regular file (through a symbolic link to one) or a new
/// path, never a FIFO, a device, a directory, nor one of the files being read (same device
/// and inode). It is written to a fresh temporary file in the same folder and renamed over
/// the path, so a reader never sees half a report and a failed write leaves the old one.
struct ReportFile {
    /// The path written: the given one, or the file its symbolic link leads to.
    var target: String
    /// The permissions of the file it replaces, if any.
    var mode: mode_t?

    init(path: String, inputs: [String]) throws {
        target = path
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw ReportError(message: String(cString: strerror(errno))) }
            try Self.checkFolder(of: path)
            return
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw ReportError(message: "it is a symbolic link to nothing (\(String(cString: strerror(errno))))")
            }
            defer { free(resolved) }
            target = String(cString: resolved)
            guard stat(target, &info) == 0 else { throw ReportError(message: String(cString: strerror(errno))) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw ReportError(message: "it is a symbolic link to \(FileIdentity.kindName(info.st_mode)), not to a regular file")
            }
        } else if info.st_mode & S_IFMT != S_IFREG {
            throw ReportError(message: "it is \(FileIdentity.kindName(info.st_mode)), not a regular file")
        }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let input = inputs.first(where: { FileIdentity(path: $0) == identity }) {
            throw ReportError(message: input == path ? "it is a fixture being read" : "it is the same file as the fixture \(input)")
        }
        mode = info.st_mode & 0o7777
    }

    private static func checkFolder(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ReportError(message: "the folder \(folder) does not exist")
        }
    }

    /// Writes `data` to a temporary file beside the target, then renames it into place.
    func write(_ data: Data) throws {
        let url = URL(fileURLWithPath: target)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw ReportError(message: String(cString: strerror(errno))) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var closed = false
        do {
            defer { if !closed { _ = close(descriptor) } }
            try data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = writeBytes(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { throw ReportError(message: String(cString: strerror(errno))) }
                    offset += written
                }
            }
            guard fchmod(descriptor, mode ?? Self.newFileMode) == 0, fsync(descriptor) == 0 else {
                throw ReportError(message: String(cString: strerror(errno)))
            }
            closed = true
            guard close(descriptor) == 0 else { throw ReportError(message: String(cString: strerror(errno))) }
            guard rename(temporary, target) == 0 else { throw ReportError(message: String(cString: strerror(errno))) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// `0666` less the umask, as a file the shell creates.
    private static var newFileMode: mode_t {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }
}

/// `write(2)`, outside ``ReportFile``, whose `write` method would shadow it.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
