import Foundation
import LockstepTestSupport
import Testing

@testable import lockstep_fuzz

/// The libFuzzer target's structure-aware mutator (docs/fuzzing.md, "Coverage-guided"):
/// it must find the checksummed metadata blocks and compute their checksums as libhdf5
/// does, or every mutation it makes is refused by libhdf5 before Lockstep's checks run.
@Suite struct StructureMutatorTests {
    static let fixtures = [
        "adamw.h5", "lbfgs_strong_wolfe_rosenbrock_f64.h5", "sparse_adam_forloop_f32.h5",
        "optim_db/optimdb_adam_default_fused_f32.h5", "adamw_steplr_fused_f32.h5",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))))
    }

    @Test(arguments: fixtures)
    func everyChecksumItFindsIsTheOneLibhdf5Wrote(_ name: String) throws {
        let bytes = try Self.bytes(name)
        let chunks = StructureMutator.chunks(bytes)
        #expect(chunks.count > 10)
        #expect(chunks.contains { $0.start == 0 }, "the superblock")
        #expect(StructureMutator.badChecksums(bytes) == [])
        #expect(!StructureMutator.jsonTokens(bytes, chunks).isEmpty)
    }

    /// `lr` in `param_groups` set to -1: with the checksum written again, the file reaches
    /// the optimizer, which refuses it; without, libhdf5 refuses the block.
    @Test func aRewrittenJSONTokenReachesTheReplayOnlyWithItsChecksumRewritten() throws {
        let original = try Self.bytes("adamw.h5")
        let chunks = StructureMutator.chunks(original)
        let tokens = StructureMutator.jsonTokens(original, chunks)
        let key = try #require(tokens.firstIndex { String(decoding: original[$0.token], as: UTF8.self) == "\"lr\"" })
        let (chunk, value) = tokens[key + 1]
        #expect(chunk != nil, "param_groups is in a checksummed block")
        var edited = original
        edited.replaceSubrange(value, with: Array("-1".utf8) + [UInt8](repeating: UInt8(ascii: " "), count: value.count - 2))
        var fixed = edited
        StructureMutator.fixChecksums(&fixed, chunks)
        #expect(StructureMutator.badChecksums(fixed) == [])

        func run(_ bytes: [UInt8]) throws -> String? {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("mutator-\(UUID().uuidString).h5").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let (outcome, message) = FuzzTarget.run(path: path)
            #expect(outcome == .refused)
            return message
        }
        #expect(try run(edited)?.contains("checksum") == true)
        let message = try #require(try run(fixed))
        #expect(!message.contains("checksum"))
        #expect(message.contains("learning rate"), "\(message)")
    }
}
