import CHDF5
import Foundation
import LockstepTestSupport
import Testing

@testable import LockstepHDF5

/// `readRow` (and `read`) read a row (the whole dataset) that is a chunk with at most a
/// Fletcher-32 checksum as the stored chunk, and check the checksum themselves; anything
/// else, or a chunk that fails, goes through `H5Dread` as before.
@Suite("Row reading")
struct RowReadingTests {
    /// HDF5's `H5_checksum_fletcher32`, its scalar loop as written in H5checksum.c.
    static func referenceFletcher32(_ bytes: [UInt8]) -> UInt32 {
        var sum1: UInt32 = 0
        var sum2: UInt32 = 0
        var index = 0
        var words = bytes.count / 2
        while words > 0 {
            var block = min(words, 360)
            words -= block
            repeat {
                sum1 &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
                index += 2
                sum2 &+= sum1
                block -= 1
            } while block > 0
            sum1 = (sum1 & 0xffff) &+ (sum1 >> 16)
            sum2 = (sum2 & 0xffff) &+ (sum2 >> 16)
        }
        if bytes.count % 2 == 1 {
            sum1 &+= UInt32(bytes[index]) << 8
            sum2 &+= sum1
            sum1 = (sum1 & 0xffff) &+ (sum1 >> 16)
            sum2 = (sum2 & 0xffff) &+ (sum2 >> 16)
        }
        sum1 = (sum1 & 0xffff) &+ (sum1 >> 16)
        sum2 = (sum2 & 0xffff) &+ (sum2 >> 16)
        return sum2 << 16 | sum1
    }

    @Test func fletcher32IsHDF5s() {
        var generator = SystemRandomNumberGenerator()
        // Lengths around the 360-word blocks and the 8-word vectors, odd and even; bytes
        // random, all set (the sums' largest values) and all clear.
        let lengths = [0, 1, 2, 3, 15, 16, 17, 718, 719, 720, 721, 722, 735, 736, 1440, 1441, 5000, 65_537, 100_003]
            + (0..<16).map { _ in Int.random(in: 0..<20_000, using: &generator) }
        for length in lengths {
            for fill in [nil, 0xff, 0x00] as [UInt8?] {
                let bytes = (0..<length).map { _ in fill ?? UInt8.random(in: 0...255, using: &generator) }
                let fast = bytes.withUnsafeBytes { lockstep_fletcher32($0.baseAddress, $0.count) }
                #expect(fast == Self.referenceFletcher32(bytes), "length \(length), fill \(String(describing: fill))")
            }
        }
    }

    /// Rows of each element type and layout read as `read()` reads them; where the row
    /// is a plain or checksummed chunk, as the stored chunk.
    @Test func rowsAreTheDatasetsRows() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("rows.h5")
        // Whether rows, and the whole dataset, are read as stored chunks.
        let layouts: [(String, HDF5DatasetLayout, rows: Bool, whole: Bool)] = [
            ("checksum", .chunked(byRow: true, compression: false, checksum: true), true, false),
            ("plain", .chunked(byRow: true, compression: false, checksum: false), true, false),
            ("gzip", .chunked(byRow: true, compression: true, checksum: true), false, false),
            ("whole", .chunked(byRow: false, compression: false, checksum: true), false, true),
            ("contiguous", .contiguous, false, false),
        ]
        let floats = (0..<(4 * 3 * 5)).map { Float($0) * 0.37 - 3 }
        let doubles = (0..<(4 * 7)).map { Double($0) / 3 }
        let bytes = (0..<(4 * 7)).map { UInt8($0 * 9 % 256) }  // 7-byte rows: an odd checksummed length
        let integers = (0..<(4 * 2)).map { Int64($0) * -1_000_000_007 }
        try HDF5File.write(to: path) { file in
            for (name, layout, _, _) in layouts {
                let group = try file.root.createGroup(name)
                try group.createDataset("f", shape: [4, 3, 5], values: floats, layout: layout)
                try group.createDataset("d", shape: [4, 7], values: doubles, layout: layout)
                try group.createDataset("b", shape: [4, 7], values: bytes, layout: layout)
                try group.createDataset("i", shape: [4, 2], values: integers, layout: layout)
            }
        }
        let root = try HDF5File.open(readingAt: path).root
        func check<T: HDF5Scalar & Equatable>(_ dataset: HDF5Dataset, _ values: [T], rows: Bool, whole: Bool) throws {
            #expect((dataset.rawChunks?.rows ?? false) == rows, "\(dataset.path)")
            #expect((dataset.rawChunks?.whole ?? false) == whole, "\(dataset.path)")
            #expect(try dataset.read(T.self) == values, "\(dataset.path)")
            var all = values
            if whole, let layout = dataset.rawChunks {
                #expect(dataset.readRawChunk(at: 0, layout, into: &all), "\(dataset.path) read raw")
                #expect(all == values)
            }
            let width = values.count / dataset.shape[0]
            var row: [T] = []
            for index in [2, 0, 3, 1] {
                try dataset.readRow(index, into: &row)
                #expect(row == Array(values[(index * width)..<((index + 1) * width)]), "\(dataset.path) row \(index)")
                if rows, let layout = dataset.rawChunks {
                    #expect(dataset.readRawChunk(at: index, layout, into: &row), "\(dataset.path) row \(index) read raw")
                    #expect(row == Array(values[(index * width)..<((index + 1) * width)]))
                }
            }
        }
        for (name, _, rows, whole) in layouts {
            let group = try root.group(name)
            try check(group.dataset("f"), floats, rows: rows, whole: whole)
            try check(group.dataset("d"), doubles, rows: rows, whole: whole)
            try check(group.dataset("b"), bytes, rows: rows, whole: whole)
            try check(group.dataset("i"), integers, rows: rows, whole: whole)
            // Read with a conversion (float64 into Float): through H5Dread.
            var converted: [Float] = []
            try group.dataset("d").readRow(1, into: &converted)
            #expect(converted == doubles[7..<14].map { Float($0) })
        }
    }

    /// A changed byte in a row fails its checksum: the read reports HDF5's own error, the
    /// one it always has, and the other rows still read.
    @Test func damagedRowFailsAsBefore() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("damaged.h5")
        let values = (0..<(3 * 1000)).map { Float($0) + 0.5 }
        try HDF5File.write(to: path) { file in
            try file.root.createDataset(
                "x", shape: [3, 1000], values: values, layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let needle = Float(1500.5).bitPattern  // row 1, element 500
        let pattern = withUnsafeBytes(of: needle.littleEndian) { Data($0) }
        let at = try #require(data.range(of: pattern))
        data[at.lowerBound] ^= 0x01
        try data.write(to: URL(fileURLWithPath: path))

        let dataset = try HDF5File.open(readingAt: path).root.dataset("x")
        var row: [Float] = []
        let error = try #require(throws: HDF5Error.self) { try dataset.readRow(1, into: &row) }
        #expect(error.kind == .libraryFailure)
        #expect(error.object == "/x")
        #expect(error.message == "cannot read row 1")
        #expect(error.detail?.contains("Fletcher32") == true, "\(error)")
        try dataset.readRow(2, into: &row)
        #expect(row == Array(values[2000..<3000]))
        #expect(row.count == 1000)
    }

    /// The same for a dataset stored as one chunk, read whole.
    @Test func damagedWholeChunkFailsAsBefore() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("damaged.h5")
        let values = (0..<2000).map { Double($0) + 0.25 }
        try HDF5File.write(to: path) { file in
            try file.root.createDataset(
                "x", shape: [2000], values: values, layout: .chunked(byRow: false, compression: false, checksum: true))
        }
        #expect(try HDF5File.open(readingAt: path).root.dataset("x").read(Double.self) == values)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = withUnsafeBytes(of: Double(1234.25).bitPattern.littleEndian) { Data($0) }
        let at = try #require(data.range(of: pattern))
        data[at.lowerBound + 7] ^= 0x10
        try data.write(to: URL(fileURLWithPath: path))

        let dataset = try HDF5File.open(readingAt: path).root.dataset("x")
        #expect(dataset.rawChunks?.whole == true)
        let error = try #require(throws: HDF5Error.self) { try dataset.read(Double.self) }
        #expect(error.kind == .libraryFailure)
        #expect(error.message == "cannot read the dataset")
        #expect(error.detail?.contains("Fletcher32") == true, "\(error)")
    }
}
