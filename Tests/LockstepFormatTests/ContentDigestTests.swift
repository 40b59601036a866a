import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Format extension 18: every dataset's CRC-32C content digest, written by `FixtureWriter`
/// and checked on every read, so that any change to the data after it was written is a read
/// error. Fletcher-32, HDF5's chunk checksum, misses the two changes made here.
@Suite("Content digests (extension 18)")
struct ContentDigestTests {
    /// Writes the sample trajectory to a new file.
    private func sample(_ directory: TemporaryDirectory, _ name: String = "f.h5") throws -> String {
        let path = directory.path(name)
        try FixtureWriter.write(sampleTrajectory(steps: 4), to: path)
        return path
    }

    /// Reads every row and whole dataset of the fixture the way a replay does.
    private func readAll(_ path: String) throws {
        let reader = try FixtureReader(path: path)
        for parameter in reader.parameters {
            _ = try reader.initial(parameter, as: Float.self)
            var row: [Float] = []
            for step in 1...reader.header.steps {
                try reader.read(.grad, of: parameter, step: step, into: &row)
                try reader.read(.param, of: parameter, step: step, into: &row)
                for key in parameter.stateKeys { try reader.read(.state(key), of: parameter, step: step, into: &row) }
            }
        }
    }

    private func readError(_ path: String) -> FixtureError? {
        do {
            try readAll(path)
            return nil
        } catch let error as FixtureError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func crc32cIsTheStandardOne() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { HDF5ContentDigest.crc32c($0) } == 0xE306_9283)
        #expect([UInt8]().withUnsafeBytes { HDF5ContentDigest.crc32c($0) } == 0)
        // Continuing a CRC over the rest is the CRC of the whole.
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        bytes.withUnsafeBytes { all in
            let head = HDF5ContentDigest.crc32c(UnsafeRawBufferPointer(rebasing: all[..<37_123]))
            #expect(HDF5ContentDigest.crc32c(UnsafeRawBufferPointer(rebasing: all[37_123...]), continuing: head) == HDF5ContentDigest.crc32c(all))
        }
    }

    @Test func theWriterRecordsADigestPerRowOrPerDataset() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        let root = try HDF5File.open(readingAt: path).root
        #expect(try root.stringAttribute("content_digest") == "crc32c")
        let grad = try root.group("params").group("w").dataset("grad")
        #expect(grad.contentDigest?.byRow == true)
        var row: [Float] = []
        try grad.readRow(2, into: &row)
        #expect(grad.contentDigest?.values[2] == row.withUnsafeBytes { HDF5ContentDigest.crc32c($0) })
        #expect(grad.contentDigest?.values.count == 4)
        let initial = try root.group("params").group("w").dataset("initial")
        #expect(initial.contentDigest?.byRow == false)
        #expect(initial.contentDigest?.values == [try initial.read(Float.self).withUnsafeBytes { HDF5ContentDigest.crc32c($0) }])
        try readAll(path)
    }

    /// 0x0000 and 0xFFFF are the same number to Fletcher-32's ones'-complement sums: a word
    /// changed from one to the other passes HDF5's checksum, and reads as a different number.
    @Test func aWordFletcher32CannotSeeIsAReadError() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        try HostileFiles.rewriteChunk(in: path, dataset: "/params/w/grad", index: 3) { bytes in
            let data = bytes.count - 4  // the fletcher32 checksum last, unchanged
            let word = stride(from: 0, to: data, by: 2).first { bytes[$0] == 0 && bytes[$0 + 1] == 0 }!
            bytes[word] = 0xFF
            bytes[word + 1] = 0xFF
        }
        let error = try #require(readError(path))
        #expect(error.description == "\(path): /params/w/grad: content digest mismatch in row 3 (chunk 3): the data was changed after it was written")

        // Without the digests the change passes Fletcher-32 and reads as other numbers.
        let legacy = directory.path("legacy.h5")
        try FileManager.default.copyItem(atPath: path, toPath: legacy)
        try HostileFiles.removeContentDigests(in: legacy)
        try readAll(legacy)
        let reader = try FixtureReader(path: legacy)
        var row: [Float] = []
        try reader.read(.grad, of: reader.parameters[0], step: 4, into: &row)
        #expect(row != sampleTrajectory(steps: 4).parameters[0].grad![3])
    }

    /// A chunk zeroed with its checksum: Fletcher-32 of zeros is zero, so HDF5 reads zeros.
    @Test(arguments: ["/params/w/state/exp_avg", "/params/w/initial"])
    func aZeroedChunkWithAZeroedChecksumIsAReadError(dataset: String) throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        let index = dataset.hasSuffix("initial") ? 0 : 1
        try HostileFiles.rewriteChunk(in: path, dataset: dataset, index: index) { bytes in
            bytes = [UInt8](repeating: 0, count: bytes.count)
        }
        let error = try #require(readError(path))
        #expect(error.object == dataset)
        #expect(error.message == (dataset.hasSuffix("initial")
            ? "content digest mismatch: the data was changed after it was written"
            : "content digest mismatch in row 1 (chunk 1): the data was changed after it was written"))
    }

    /// Data rewritten through HDF5, whose filters (checksum, gzip) run again: read as a raw
    /// chunk, or compressed through `H5Dread`, its digest is checked either way.
    @Test(arguments: [false, true])
    func dataRewrittenThroughHDF5IsAReadError(compressed: Bool) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("f.h5")
        try FixtureWriter.write(sampleTrajectory(steps: 4), to: path, compress: compressed)
        var row = sampleTrajectory(steps: 4).parameters[0].param[2]
        row[5] = .nan
        try HostileFiles.overwriteRow(in: path, dataset: "/params/w/param", row: 2, values: row)
        let error = try #require(readError(path))
        #expect(error.description == "\(path): /params/w/param: content digest mismatch in row 2 (chunk 2): the data was changed after it was written")
    }

    @Test func aFileWithoutDigestsStillReads() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        try HostileFiles.removeContentDigests(in: path)
        let root = try HDF5File.open(readingAt: path).root
        #expect(try !root.hasAttribute("content_digest"))
        #expect(try root.group("params").group("w").dataset("grad").contentDigest == nil)
        try readAll(path)
    }

    @Test func aPromisedDigestThatIsMissingIsAnError() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        let file = try HDF5File.open(updatingAt: path)
        try file.root.group("params").group("b").dataset("param").removeAttribute("crc32c")
        try file.flush()
        let error = try #require(readError(path))
        #expect(error.object == "/params/b/param")
        #expect(error.message == "has no content digest (attribute 'crc32c'), though the root attribute 'content_digest' promises one on every dataset")
    }

    @Test func anUnknownDigestIsAnError() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        try HDF5File.open(updatingAt: path).root.setAttribute("content_digest", string: "sha3")
        let error = try #require(readError(path))
        #expect(error.description == "\(path): /: attribute 'content_digest' is 'sha3', a digest this reader does not know (it checks 'crc32c')")
    }

    @Test func aDigestOfTheWrongLengthIsAnError() throws {
        let directory = try TemporaryDirectory()
        let path = try sample(directory)
        try HDF5File.open(updatingAt: path).root.group("params").group("w").dataset("grad").setAttribute("crc32c", uint32s: [1, 2])
        let error = try #require(readError(path))
        #expect(error.object == "/params/w/grad")
        #expect(error.message == "attribute 'crc32c' holds 2 content digests, expected 4 (one per row: the dataset is chunked one row per chunk)")
    }
}
