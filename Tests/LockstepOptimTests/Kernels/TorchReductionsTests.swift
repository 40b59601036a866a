import Testing

@testable import LockstepOptim

/// `torch.dot` and `Tensor.sum` as torch 2.15 computed them (MKL 2024.2 `sdot`/`ddot` on the
/// recording machine, `cascade_sum`), for vectors `x_i = ((37i mod 101) − 50)/7`,
/// `y_i = ((53i mod 89) − 44)/3`, as bit patterns: dot(x, y) and sum(|x|).
@Suite("Torch reductions")
struct TorchReductionsTests {
    static let lengths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 64, 65, 100, 257, 1000]
    static let floatDot: [UInt32] = [
        0x42d18619, 0x42c66187, 0x4288aaac, 0x419679ec, 0x41a1e7a4, 0x429fb6dd, 0x428c6188, 0x42f0f3d0, 0x435d9e7c, 0x435d9e7a,
        0x4362e79e, 0x43304924, 0x43324924, 0x4307924a, 0x434d6186, 0x43063cf6, 0x430e5556, 0x42e66188, 0x4313db70, 0xc307cf32,
    ]
    static let floatSum: [UInt32] = [
        0x40e49249, 0x41100000, 0x4146db6e, 0x41912492, 0x41949249, 0x41ddb6dc, 0x41e5b6dc, 0x420c0000, 0x42664924, 0x42664926,
        0x427b6db8, 0x42e64924, 0x42ea4925, 0x42f0db6f, 0x43120000, 0x436a6db7, 0x436b2491, 0x43b52492, 0x44682493, 0x45619b6d,
    ]
    static let doubleDot: [UInt64] = [
        0x405a30c30c30c30c, 0x4058cc30c30c30c3, 0x4051155555555555, 0x4032cf3cf3cf3cf4, 0x40343cf3cf3cf3d0,
        0x4053f6db6db6db6e, 0x40518c30c30c30c3, 0x405e1e79e79e79e7, 0x406bb3cf3cf3cf3c, 0x406bb3cf3cf3cf3c,
        0x406c5cf3cf3cf3ce, 0x4066092492492493, 0x4066492492492492, 0x4060f24924924924, 0x4069ac30c30c30c2,
        0x4060c79e79e79e78, 0x4061caaaaaaaaaaa, 0x405ccc30c30c30c0, 0x40627b6db6db6db1, 0xc060f9e79e79e79e,
    ]
    static let doubleSum: [UInt64] = [
        0x401c924924924925, 0x4022000000000000, 0x4028db6db6db6db7, 0x4032249249249249, 0x4032924924924925,
        0x403bb6db6db6db6e, 0x403cb6db6db6db6e, 0x4041800000000000, 0x404cc92492492492, 0x404cc92492492492,
        0x404f6db6db6db6dc, 0x405cc92492492492, 0x405d492492492492, 0x405e1b6db6db6db7, 0x4062400000000000,
        0x406d4db6db6db6dc, 0x406d64924924924a, 0x4076a4924924924a, 0x408d04924924924a, 0x40ac336db6db6db7,
    ]

    static func vectors<T: TensorScalar>(_ n: Int, as _: T.Type) -> ([T], [T]) {
        ((0..<n).map { T(Double(($0 * 37) % 101 - 50) / 7) }, (0..<n).map { T(Double(($0 * 53) % 89 - 44) / 3) })
    }

    @Test func dotAndSumAreTorchsInFloat() {
        for (index, n) in Self.lengths.enumerated() {
            let (x, y) = Self.vectors(n, as: Float.self)
            #expect(TorchReductions.dot(x, y).bitPattern == Self.floatDot[index], "dot, n = \(n)")
            #expect(TorchReductions.sum(x.map(abs)).bitPattern == Self.floatSum[index], "sum, n = \(n)")
        }
    }

    @Test func dotAndSumAreTorchsInDouble() {
        for (index, n) in Self.lengths.enumerated() {
            let (x, y) = Self.vectors(n, as: Double.self)
            #expect(TorchReductions.dot(x, y).bitPattern == Self.doubleDot[index], "dot, n = \(n)")
            #expect(TorchReductions.sum(x.map(abs)).bitPattern == Self.doubleSum[index], "sum, n = \(n)")
        }
    }

    /// The probes tell orders apart: left-to-right summation misses some of them.
    @Test func leftToRightSummationIsNotTorchs() {
        let misses = Self.lengths.indices.filter { index in
            let (x, y) = Self.vectors(Self.lengths[index], as: Float.self)
            return zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }.bitPattern != Self.floatDot[index]
        }
        #expect(!misses.isEmpty)
    }
}
