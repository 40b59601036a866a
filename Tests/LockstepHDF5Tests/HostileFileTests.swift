import Foundation
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Files crafted to make the layer read from elsewhere, block, or allocate what the file does
/// not hold: each is refused with one error naming the file and the object.
@Suite("Hostile files", .timeLimit(.minutes(1)))
struct HostileFileTests {
    let dir: TemporaryDirectory
    let path: String

    /// A file with `/data/x`, float32 [3, 4], chunked by row with fletcher32, and `/data/y`.
    init() throws {
        dir = try TemporaryDirectory()
        path = dir.path("f.h5")
        try HDF5File.write(to: path) { file in
            let data = try file.root.createGroup("data")
            let values = (0..<12).map(Float.init)
            try data.createDataset("x", shape: [3, 4], values: values, layout: .chunked(byRow: true, compression: false, checksum: true))
            try data.createDataset("y", shape: [3, 4], values: values)
        }
    }

    private func refusal(_ body: () throws -> Void) throws -> HDF5Error {
        try #require(throws: HDF5Error.self) { try body() }
    }

    private func openX() throws -> HDF5Dataset { try HDF5File.open(readingAt: path).root.group("data").dataset("x") }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let fifo = dir.path("fifo.h5")
        #expect(mkfifo(fifo, 0o600) == 0)
        let error = try refusal { _ = try HDF5File.open(readingAt: fifo) }
        #expect(error.kind == .unreadable)
        #expect(error.description == "\(fifo): /: is a FIFO, not a regular file")
    }

    @Test func aDirectoryIsRefused() throws {
        let error = try refusal { _ = try HDF5File.open(readingAt: dir.url.path) }
        #expect(error.description == "\(dir.url.path): /: is a directory, not a regular file")
    }

    @Test func aSymbolicLinkToARegularFileOpens() throws {
        let link = dir.path("link.h5")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(try HDF5File.open(readingAt: link).root.group("data").dataset("x").read(Float.self).count == 12)
    }

    @Test(.disabled(if: getuid() == 0, "root reads any file"))
    func permissionDeniedIsSaid() throws {
        chmod(path, 0)
        let error = try refusal { _ = try HDF5File.open(readingAt: path) }
        #expect(error.description == "\(path): /: permission denied")
    }

    @Test func aNameThatWasNotUTF8IsExplained() throws {
        let error = try refusal { _ = try HDF5File.open(readingAt: dir.path("bad\u{FFFD}name.h5")) }
        #expect(error.message.hasPrefix("no such file (the name holds U+FFFD"))
    }

    @Test func anExternalLinkIsRefusedNotFollowed() throws {
        let other = dir.path("other.h5")
        try FileManager.default.copyItem(atPath: path, toPath: other)
        try HostileFiles.externalLink(in: path, group: "/data", name: "x", target: other, object: "/data/x")
        let error = try refusal { _ = try openX() }
        #expect(error.kind == .outsideFile)
        #expect(error.description == "\(path): /data/x: external link to \(other):/data/x: the format reads data only from the file itself")
    }

    @Test func aSoftLinkInsideTheFileIsFollowed() throws {
        try HostileFiles.softLink(in: path, group: "/data", name: "x", object: "/data/y")
        #expect(try openX().read(Float.self) == (0..<12).map(Float.init))
    }

    @Test(arguments: ["missing.h5", "."])
    func aVirtualDatasetIsRefused(source: String) throws {
        // "." maps the dataset onto itself, which overflows libhdf5's stack when read.
        try HostileFiles.virtualDataset(in: path, group: "/data", name: "x", shape: [3, 4], sourceFile: source, sourceDataset: "/data/x")
        let error = try refusal { _ = try openX() }
        #expect(error.description == "\(path): /data/x: virtual dataset: the format reads data only from the file itself")
    }

    @Test func externalRawStorageIsRefused() throws {
        try HostileFiles.externalStorage(in: path, group: "/data", name: "x", shape: [3, 4], externalFile: "/etc/passwd")
        let error = try refusal { _ = try openX() }
        #expect(error.description == "\(path): /data/x: external raw storage (in /etc/passwd): the format reads data only from the file itself")
    }

    @Test func aShapeLargerThanTheFileIsRefusedBeforeAllocating() throws {
        try HostileFiles.unwrittenDataset(in: path, group: "/data", name: "x", shape: [1 << 20, 1 << 20], chunk: [1, 1024])
        let error = try refusal { _ = try openX() }
        #expect(error.kind == .badStorage)
        #expect(error.message.hasPrefix("shape [1048576, 1048576] declares 4 TiB, more than the whole file holds ("))
    }

    @Test func anElementCountThatOverflowsIsRefused() throws {
        try HostileFiles.unwrittenDataset(in: path, group: "/data", name: "x", shape: [1 << 40, 1 << 40], chunk: [1, 1024])
        let error = try refusal { _ = try openX() }
        #expect(error.message == "shape [1099511627776, 1099511627776] holds more bytes than can be addressed")
    }

    @Test func chunksThatAreNotStoredAreRefused() throws {
        // Compressed, so the file-size rule cannot apply; no chunk is written, so every row
        // would read as the fill value (zeros).
        try HostileFiles.unwrittenDataset(in: path, group: "/data", name: "x", shape: [30, 1 << 29], chunk: [1, 1 << 20], gzip: true)
        let error = try refusal { _ = try openX() }
        #expect(error.message == "stores 0 of its 15360 chunks; HDF5 would read the fill value for the rest")
        try HostileFiles.unwrittenDataset(in: path, group: "/data", name: "x", shape: [3, 4], chunk: nil)
        let contiguous = try refusal { _ = try openX() }
        #expect(contiguous.message == "stores 0 of the 48 bytes its shape [3, 4] declares; HDF5 would read the fill value for the rest")
    }

    @Test func aReadBeyondTheMemoryBudgetIsRefusedBeforeAllocating() throws {
        let dataset = try openX()
        try HDF5Dataset.$memoryBudget.withValue(40) {
            let whole = try refusal { _ = try dataset.read(Float.self) }
            #expect(whole.description == "\(path): /data/x: reading shape [3, 4] takes 48 bytes, more than the memory budget of 40 bytes (LOCKSTEP_MEMORY_BUDGET)")
            var row: [Float] = []
            try dataset.readRow(0, into: &row)
            #expect(row.count == 4)
        }
        #expect(HDF5Dataset.parseByteCount("8G") == 8 << 30)
        #expect(HDF5Dataset.parseByteCount("12x") == nil)
    }

    @Test func asciiStringAttributesRead() throws {
        try HostileFiles.asciiAttribute(in: path, name: "optimizer", value: "AdamW")
        #expect(try HDF5File.open(readingAt: path).root.stringAttribute("optimizer") == "AdamW")
    }
}
