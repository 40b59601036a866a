import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

/// Format extension 15: `/params/<name>/state_exists/<key>` says when a state entry exists.
@Suite("State presence (extension 15)")
struct StateExistsTests {
    /// A copy of an SGD momentum golden with `state_exists/momentum_buffer` written as `flags`.
    static func fixture(_ flags: [UInt8], in dir: TemporaryDirectory) throws -> String {
        let path = dir.path("exists.h5")
        try FileManager.default.copyItem(atPath: fixturePath("sgd_momentum_forloop_f32.h5"), toPath: path)
        let first = try FixtureReader(path: path).parameters[0].name
        let file = try HDF5File.open(updatingAt: path)
        let group = try file.root.group("params").group(first)
        let exists = try group.createGroup("state_exists")
        try exists.createDataset("momentum_buffer", shape: [flags.count], values: flags, layout: .contiguous)
        return path
    }

    static func steps() throws -> Int { try FixtureReader(path: fixturePath("sgd_momentum_forloop_f32.h5")).header.steps }

    @Test func readAndExposed() throws {
        let dir = try TemporaryDirectory()
        let n = try Self.steps()
        let reader = try FixtureReader(path: try Self.fixture([UInt8](repeating: 1, count: n), in: dir))
        let parameter = reader.parameters[0]
        #expect(parameter.stateExistsKeys == ["momentum_buffer"])
        #expect(parameter.stateExists("momentum_buffer", after: 1) == true)
        #expect(parameter.stateExists("momentum_buffer", after: n + 1) == nil)
        #expect(reader.parameters.count < 2 || reader.parameters[1].stateExistsKeys.isEmpty)
    }

    @Test(arguments: [
        ("a value of 2", [2] as [UInt8], "row 0 is 2, expected 0 or 1"),
        ("a wrong length", [1, 1] as [UInt8], "shape [2], expected"),
    ])
    func invalidFlagsAreRejected(_ what: String, _ flags: [UInt8], _ message: String) throws {
        let dir = try TemporaryDirectory()
        let n = try Self.steps()
        let values = flags.count == 1 ? flags + [UInt8](repeating: 1, count: n - 1) : flags
        let path = try Self.fixture(values, in: dir)
        #expect {
            _ = try FixtureReader(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("/state_exists/momentum_buffer") && text.contains(message)
        }
    }
}
