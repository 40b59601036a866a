import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Crafted fixtures the reader must refuse, or read as their writer meant: numbers that do
/// not convert, flags stored as other integers, strings in ASCII.
@Suite("Hostile fixtures")
struct HostileFixtureTests {
    let dir: TemporaryDirectory
    let path: String

    init() throws {
        dir = try TemporaryDirectory()
        path = dir.path("f.h5")
        try FixtureWriter.write(sampleTrajectory(), to: path)
    }

    private func rejection() throws -> FixtureError {
        try #require(throws: FixtureError.self) { try FixtureReader(path: path) }
    }

    @Test func maxULPBeyondUInt64IsRejectedNotTrapped() throws {
        for ulp in ["1e20", "18446744073709551616"] {
            try HDF5File.open(updatingAt: path).root.setAttribute("tolerance", string: #"{"max_ulp": \#(ulp)}"#)
            #expect(try rejection().description == #"\#(path): /: attribute 'tolerance': "max_ulp" is \#(Double(ulp)!), more than the largest count of ULPs (18446744073709551615)"#)
        }
        try HDF5File.open(updatingAt: path).root.setAttribute("tolerance", string: #"{"max_ulp": 18446744073709549568}"#)
        #expect(try FixtureReader(path: path).header.tolerance?.maxULP == 18_446_744_073_709_549_568)
    }

    /// tools/fuzz: FoundationEssentials traps on a top-level JSON number of a thousand
    /// digits or more (the same number inside an array is a thrown error).
    @Test func aTopLevelNumberOfAThousandDigitsIsInvalidJSONNotATrap() throws {
        for name in ["reference", "param_groups"] {
            try FixtureWriter.write(sampleTrajectory(), to: path)
            try HDF5File.open(updatingAt: path).root.setAttribute(name, string: String(repeating: "1", count: 5000))
            #expect(try rejection().description == "\(path): /: attribute '\(name)' is not valid JSON")
        }
        #expect(try JSONValue.parse(" 0.25 ") == .number(0.25))
        #expect(try JSONValue.parse(#""text""#) == .string("text"))
        #expect(throws: (any Error).self) { try JSONValue.parse("1, 2") }
        #expect(throws: (any Error).self) { try JSONValue.parse("") }
    }

    @Test(arguments: ["has_grad", "grad_mask"])
    func flagsStoredAsSignedIntegersAreNotClippedToZero(name: String) throws {
        // HDF5 converts an int8 −1 to uint8 as 0: a flag the reader would have accepted.
        if name == "has_grad" {
            try HostileFiles.int8Dataset(in: path, group: "/params/b", name: "has_grad", values: [1, -1, 1])
            #expect(try rejection().description == "\(path): /params/b/has_grad: row 1 is -1, expected 0 or 1")
        } else {
            var trajectory = sampleTrajectory()
            trajectory.parameters[1].gradMask = [[true, false, true, true], [false, false, false, false], [true, true, true, true]]
            try FixtureWriter.write(trajectory, to: path)
            try HostileFiles.unwrittenDataset(in: path, group: "/params/b", name: "grad_mask", shape: [3, 4], chunk: [1, 4], int8: true)
            try HostileFiles.int8Rows(in: path, group: "/params/b", name: "grad_mask", rows: [[1, 0, 1, 1], [0, -1, 0, 0], [1, 1, 1, 1]])
            let reader = try FixtureReader(path: path)
            var mask: [Bool] = []
            #expect(try reader.readGradMask(of: reader.parameters[1], step: 1, into: &mask))
            #expect(mask == [true, false, true, true])
            let error = try #require(throws: FixtureError.self) { try reader.readGradMask(of: reader.parameters[1], step: 2, into: &mask) }
            #expect(error.description == "\(path): /params/b/grad_mask: row 1, element 1 is -1, expected 0 or 1")
        }
    }

    @Test func asciiStringAttributesAreRead() throws {
        // h5py writes `bytes` as fixed-length ASCII strings.
        for (name, value) in [("optimizer", "AdamW"), ("param_groups", #"[{"params": ["w", "b"], "lr": 0.01}]"#)] {
            try HostileFiles.asciiAttribute(in: path, name: name, value: value)
        }
        let reader = try FixtureReader(path: path)
        #expect(reader.header.optimizer == "AdamW")
        #expect(reader.header.paramGroups[0].params == ["w", "b"])
    }

    @Test func countsFromAttributesAreCheckedAgainstTheMemoryBudget() throws {
        // The per-step arrays `steps` asks for, and a fixed-length string's declared size.
        try HDF5Dataset.$memoryBudget.withValue(20) { () throws -> Void in
            #expect(try rejection().description == "\(path): /: attribute 'steps' is 3: 8 bytes per step take more than the memory budget of 20 bytes (LOCKSTEP_MEMORY_BUDGET)")
        }
        try HDF5Dataset.$memoryBudget.withValue(10) { () throws -> Void in
            #expect(try rejection().description == "\(path): /: attribute 'format' declares a string of 15 bytes, more than the memory budget of 10 bytes (LOCKSTEP_MEMORY_BUDGET)")
        }
    }

    @Test func aStepSeriesWithUnstoredChunksIsRejected() throws {
        try HostileFiles.unwrittenDataset(in: path, group: "/params/w", name: "param", shape: [3, 1 << 20, 1 << 20], chunk: [1, 1, 1 << 20])
        #expect(try rejection().description.hasPrefix("\(path): /params/w/param: shape [3, 1048576, 1048576] declares 12 TiB, more than the whole file holds ("))
    }

    @Test func aLogisticObjectiveWithoutRowsIsRejected() throws {
        var trajectory = sampleTrajectory()
        trajectory.header.mode = .closure
        trajectory.header.optimizer = "LBFGS"
        trajectory.header.paramGroups = [.init(params: ["w", "b"], hyperparameters: ["lr": .number(1)])]
        for index in trajectory.parameters.indices { trajectory.parameters[index].grad = nil }
        trajectory.losses = [1, 1, 1]
        trajectory.closureCalls = [1, 1, 1]
        trajectory.objective = .logisticRegression(x: [], y: [], l2: 0.1, m: 0, n: 10)
        try FixtureWriter.write(trajectory, to: path)
        #expect(try rejection().description == "\(path): /objective/X: shape [0, 10] has no rows; the loss averages over at least one row of at least one feature")
    }
}
