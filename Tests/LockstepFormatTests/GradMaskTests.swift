import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// `grad_mask`, our extension for sparse gradients: which entries each step's gradient holds.
@Suite("Sparse gradient mask")
struct GradMaskTests {
    /// The sample trajectory with `w` ([2, 3]) given a sparse gradient: step 1 holds row 0,
    /// step 2 nothing, step 3 both rows.
    static func sparseSample() -> FixtureTrajectory<Float> {
        var trajectory = sampleTrajectory()
        let rowZero = [true, true, true, false, false, false]
        trajectory.parameters[0].gradMask = [rowZero, [Bool](repeating: false, count: 6), [Bool](repeating: true, count: 6)]
        return trajectory
    }

    func write(_ trajectory: FixtureTrajectory<Float>, then edit: (HDF5Group) throws -> Void = { _ in }) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        let path = dir.path("sparse.h5")
        try FixtureWriter.write(trajectory, to: path)
        let file = try HDF5File.open(updatingAt: path)
        try edit(try file.root)
        return (dir, path)
    }

    @Test func masksReadBackPerStep() throws {
        let (dir, path) = try write(Self.sparseSample())
        _ = dir
        let reader = try FixtureReader(path: path)
        let (w, b) = (reader.parameters[0], reader.parameters[1])
        #expect(w.hasSparseGrads && !b.hasSparseGrads)
        var mask: [Bool] = []
        for step in 1...3 {
            #expect(try reader.readGradMask(of: w, step: step, into: &mask))
            #expect(mask == Self.sparseSample().parameters[0].gradMask?[step - 1])
        }
        #expect(try !reader.readGradMask(of: b, step: 1, into: &mask))
    }

    @Test func aValueOtherThanZeroOrOneIsNamedWhenRead() throws {
        let (dir, path) = try write(Self.sparseSample()) { root in
            let w = try root.group("params").group("w")
            try w.removeChild("grad_mask")
            try w.createDataset("grad_mask", shape: [3, 2, 3], values: [UInt8](repeating: 1, count: 17) + [3],
                                layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        _ = dir
        let reader = try FixtureReader(path: path)
        var mask: [Bool] = []
        let error = try #require(throws: FixtureError.self) { try reader.readGradMask(of: reader.parameters[0], step: 3, into: &mask) }
        #expect(error.object == "/params/w/grad_mask")
        #expect(error.message == "row 2, element 5 is 3, expected 0 or 1")
    }

    static var breakages: [(String, String, (HDF5Group) throws -> Void)] { [
        ("shape [3, 6] disagrees with initial [2, 3]; expected [3, 2, 3]", "/params/w/grad_mask", { root in
            let w = try root.group("params").group("w")
            try w.removeChild("grad_mask")
            try w.createDataset("grad_mask", shape: [3, 6], values: [UInt8](repeating: 1, count: 18),
                                layout: .chunked(byRow: true, compression: false, checksum: true))
        }),
        ("holds float32, expected uint8", "/params/w/grad_mask", { root in
            let w = try root.group("params").group("w")
            try w.removeChild("grad_mask")
            try w.createDataset("grad_mask", shape: [3, 2, 3], values: [Float](repeating: 1, count: 18),
                                layout: .chunked(byRow: true, compression: false, checksum: true))
        }),
        ("is not chunked one step per chunk, so it cannot be streamed", "/params/w/grad_mask", { root in
            let w = try root.group("params").group("w")
            try w.removeChild("grad_mask")
            try w.createDataset("grad_mask", shape: [3, 2, 3], values: [UInt8](repeating: 1, count: 18))
        }),
    ] }

    @Test(arguments: 0..<3)
    func rejectsAMalformedMask(_ index: Int) throws {
        let (message, object, edit) = Self.breakages[index]
        let (dir, path) = try write(Self.sparseSample(), then: edit)
        _ = dir
        let error = try #require(throws: FixtureError.self) { try FixtureReader(path: path) }
        #expect(error.file == path && error.object == object && error.message == message)
    }

    @Test func closureModeHasNoMask() throws {
        var trajectory = Self.sparseSample()
        trajectory.header.mode = .closure
        for index in trajectory.parameters.indices { trajectory.parameters[index].grad = nil }
        trajectory.losses = [1, 1, 1]
        trajectory.closureCalls = [1, 1, 1]
        trajectory.objective = .rosenbrock(a: 1, b: 100)
        let (dir, path) = try write(trajectory)
        _ = dir
        let error = try #require(throws: FixtureError.self) { try FixtureReader(path: path) }
        #expect(error.object == "/params/w/grad_mask")
        #expect(error.message == "must be absent in closure mode (it describes recorded gradients)")
    }
}
