import Foundation
import LockstepTestSupport
import Testing

@testable import LockstepHDF5

@Suite("HDF5 layer")
struct HDF5LayerTests {
    @Test func roundTripsGroupsDatasetsAndAttributes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("a.h5")
        try HDF5File.write(to: path) { file in
            let root = try file.root
            try root.setAttribute("name", string: "lockstep ✓")
            try root.setAttribute("empty", string: "")
            try root.setAttribute("count", integer: -42)
            try root.setAttribute("ratio", double: 0.125)
            let group = try root.createGroup("params")
            try group.createDataset("x", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] as [Float],
                                    layout: .chunked(byRow: true, compression: true, checksum: true))
            try group.createDataset("s", shape: [], values: [7.5] as [Double])
            try group.createDataset("e", shape: [0, 3], values: [] as [Double],
                                    layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        let file = try HDF5File.open(readingAt: path)
        let root = try file.root
        #expect(try root.stringAttribute("name") == "lockstep ✓")
        #expect(try root.stringAttribute("empty") == "")
        #expect(try root.integerAttribute("count") == -42)
        #expect(try root.doubleAttribute("ratio") == 0.125)
        #expect(try root.attributeNames().sorted() == ["count", "empty", "name", "ratio"])
        let group = try root.group("params")
        #expect(try group.childNames() == ["e", "s", "x"])
        let x = try group.dataset("x")
        #expect(x.shape == [3, 2])
        #expect(x.storedType == .float(bits: 32))
        #expect(try x.isChunkedByRow)
        #expect(try x.read(Float.self) == [1, 2, 3, 4, 5, 6])
        var row: [Float] = []
        try x.readRow(1, into: &row)
        #expect(row == [3, 4])
        let s = try group.dataset("s")
        #expect(s.shape == [])
        #expect(try s.read(Double.self) == [7.5])
        #expect(try group.dataset("e").read(Double.self).isEmpty)
    }

    @Test(arguments: [false, true])
    func readsFixedAndVariableLengthStrings(variableLength: Bool) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("s.h5")
        try HDF5File.write(to: path) { file in
            let root = try file.root
            try root.setAttribute("json", string: #"[{"lr": 0.001, "name": "Schrödinger"}]"#, variableLength: variableLength)
            try root.setAttribute("empty", string: "", variableLength: variableLength)
        }
        let root = try HDF5File.open(readingAt: path).root
        #expect(try root.stringAttribute("json") == #"[{"lr": 0.001, "name": "Schrödinger"}]"#)
        #expect(try root.stringAttribute("empty") == "")
        #expect(try root.attributeType("json") == .string)
    }

    @Test func readsFixedLengthStringsWrittenByOthers() throws {
        // Written by an independent h5py script with fixed-length UTF-8 attributes.
        let fixture = repositoryRoot.appendingPathComponent("fixtures/independent_adamw_fused_f32.h5").path
        let root = try HDF5File.open(readingAt: fixture).root
        #expect(try root.stringAttribute("format") == "lockstep-golden")
        #expect(try root.stringAttribute("optimizer") == "AdamW")
    }

    @Test func missingFileIsCannotOpen() throws {
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(readingAt: "/nonexistent/x.h5") }
        #expect(error.kind == .cannotOpenFile)
        #expect(error.description == "/nonexistent/x.h5: /: no such file")
    }

    @Test func textFileIsNotHDF5() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("x.h5")
        try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(readingAt: path) }
        #expect(error.kind == .cannotOpenFile)
        #expect(error.message == "not an HDF5 file")
    }

    @Test func truncatedFileFailsWithATypedError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("t.h5")
        try HDF5File.write(to: path) { file in
            try file.root.createDataset("d", shape: [1000], values: [Double](repeating: 1, count: 1000))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for length in [100, data.count / 2, data.count - 100] {
            try data.prefix(length).write(to: URL(fileURLWithPath: path))
            #expect(throws: HDF5Error.self) {
                let file = try HDF5File.open(readingAt: path)
                _ = try file.root.dataset("d").read(Double.self)
            }
        }
    }

    @Test func missingObjectsNameTheirPath() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.h5")
        try HDF5File.write(to: path) { file in
            try file.root.createGroup("params").createDataset("w", shape: [2], values: [1, 2] as [Float])
        }
        let params = try HDF5File.open(readingAt: path).root.group("params")
        let missing = try #require(throws: HDF5Error.self) { try params.dataset("grad") }
        #expect(missing.kind == .notFound)
        #expect(missing.object == "/params/grad")
        let wrongKind = try #require(throws: HDF5Error.self) { try params.group("w") }
        #expect(wrongKind.kind == .typeMismatch)
        #expect(wrongKind.description == "\(path): /params/w: is not a group")
        let attribute = try #require(throws: HDF5Error.self) { try params.stringAttribute("kind") }
        #expect(attribute.kind == .notFound)
        let numeric = try #require(throws: HDF5Error.self) {
            var row: [Float] = []
            try params.dataset("w").readRow(5, into: &row)
        }
        #expect(numeric.kind == .invalidRequest)
    }

    @Test func typeMismatchesAreErrors() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("t.h5")
        try HDF5File.write(to: path) { file in
            try file.root.setAttribute("text", string: "x")
            try file.root.setAttribute("number", integer: 1)
        }
        let root = try HDF5File.open(readingAt: path).root
        #expect(throws: HDF5Error.self) { try root.integerAttribute("text") }
        #expect(throws: HDF5Error.self) { try root.stringAttribute("number") }
    }

    @Test func failedWriteLeavesNothingBehind() throws {
        struct Stop: Error {}
        let dir = try TemporaryDirectory()
        let path = dir.path("keep.h5")
        try HDF5File.write(to: path) { try $0.root.setAttribute("version", integer: 1) }
        #expect(throws: Stop.self) {
            try HDF5File.write(to: path) { file in
                try file.root.setAttribute("version", integer: 2)
                throw Stop()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["keep.h5"])
        #expect(try HDF5File.open(readingAt: path).root.integerAttribute("version") == 1)
    }

    @Test func concurrentReadersShareTheLock() async throws {
        let fixture = repositoryRoot.appendingPathComponent("fixtures/adamw.h5").path
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let root = try HDF5File.open(readingAt: fixture).root
                    return try root.group("params").group("w").dataset("grad").read(Float.self).count
                }
            }
            for try await count in group { #expect(count == 30 * 35) }
        }
    }
}

