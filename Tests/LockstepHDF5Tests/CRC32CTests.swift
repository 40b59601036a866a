import CLockstepDigest
import LockstepHDF5
import Testing

/// The CRC-32C behind content digests: the hardware loop (three interleaved streams of the
/// `crc32` instruction, joined by shift tables) agrees with the portable table on every
/// length around the block sizes and at every alignment.
@Suite("CRC-32C")
struct CRC32CTests {
    @Test func theHardwareLoopIsTheTable() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<(3 * 8192 * 2 + 3 * 256 + 40)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let lengths = Array(0..<80) + [767, 768, 769, 24_575, 24_576, 24_577, 24_576 + 768 + 7, bytes.count - 3]
        bytes.withUnsafeBytes { buffer in
            for offset in 0..<3 {
                for length in lengths {
                    let base = buffer.baseAddress! + offset
                    #expect(lockstep_crc32c(0, base, length) == lockstep_crc32c_portable(0, base, length), "length \(length)")
                    #expect(lockstep_crc32c(0xDEAD_BEEF, base, length) == lockstep_crc32c_portable(0xDEAD_BEEF, base, length))
                }
            }
        }
        #expect(["sse4.2", "armv8-crc", "table"].contains(HDF5ContentDigest.implementation))
    }
}
