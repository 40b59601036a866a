/// Reductions of torch's CPU build, summed in the order torch's kernels sum.
///
/// A reduction's result depends on how its partial sums are grouped. Both orders below were
/// found by experiment against torch 2.15 (single thread) and hold bit for bit for every
/// length tried (`dot`: 1...69, 100, 128, 200; `sum`: 1...79, 100, 257, 1000, 5000); see `docs/numerics-lbfgs.md`.
enum TorchReductions {
    /// `torch.dot` of two contiguous vectors: BLAS `sdot`/`ddot`, which torch's CPU build
    /// takes from MKL. On the machine the goldens were recorded on (AMD EPYC, where MKL
    /// runs its SSE kernels) the order is:
    ///
    /// - four accumulators of `w` lanes (`w` = 4 `Float`s or 2 `Double`s, one 128-bit
    ///   register each) take blocks of `4w` products, `acc[u][l] += x·y`, the product
    ///   rounded before the addition (no FMA);
    /// - the remaining blocks of `w`: `Float` alternates between accumulators 0 and 1,
    ///   `Double` adds them all to accumulator 0;
    /// - the last `count % w` products are added one by one to lane 0 of accumulator 0;
    /// - the accumulators are summed `((a0 + a1) + a2) + a3` lane by lane, then the lanes
    ///   pairwise, halving: `(l0 + l2) + (l1 + l3)` for `Float`, `l0 + l1` for `Double`.
    ///
    /// MKL chooses its kernel by CPU model: on an Intel CPU with AVX-512 the order differs,
    /// and the result can differ in the last bits.
    static func dot<Scalar: TensorScalar>(_ x: [Scalar], _ y: [Scalar]) -> Scalar {
        precondition(x.count == y.count, "dot of vectors of different lengths")
        let lanes = Scalar.significandBitCount > 23 ? 2 : 4
        let count = x.count
        var acc = [[Scalar]](repeating: [Scalar](repeating: 0, count: lanes), count: 4)
        var i = 0
        while count - i >= 4 * lanes {
            for u in 0..<4 {
                for l in 0..<lanes {
                    acc[u][l] = acc[u][l] + x[i] * y[i]
                    i += 1
                }
            }
        }
        var u = 0
        while count - i >= lanes {
            for l in 0..<lanes {
                acc[u][l] = acc[u][l] + x[i] * y[i]
                i += 1
            }
            if lanes == 4 { u ^= 1 }
        }
        while i < count {
            acc[0][0] = acc[0][0] + x[i] * y[i]
            i += 1
        }
        var combined = acc[0]
        for k in 1..<4 {
            for l in 0..<lanes { combined[l] = combined[l] + acc[k][l] }
        }
        var width = lanes
        while width > 1 {
            width /= 2
            for l in 0..<width { combined[l] = combined[l] + combined[l + width] }
        }
        return combined[0]
    }

    /// `tensor.sum()` of a contiguous vector: torch's `cascade_sum`
    /// (`aten/src/ATen/native/cpu/SumKernel.cpp`). Vectors of at least one SIMD register
    /// (32 bytes: that kernel is built for AVX2 at most, so 8 `Float`s or 4 `Double`s on
    /// every capability) are summed as registers with four interleaved partial sums and a
    /// cascade of levels, the elements past the last register one by one, and then the
    /// register's lanes; shorter vectors take the same scheme over single elements.
    static func sum<Scalar: TensorScalar>(_ x: [Scalar]) -> Scalar {
        let width = 32 / MemoryLayout<Scalar>.size
        let count = x.count
        guard count >= width else {
            let items = x.map { [$0] }
            return 0 + rowSum(items, lanes: 1)[0]
        }
        let registers = count / width
        let items = (0..<registers).map { Array(x[($0 * width)..<(($0 + 1) * width)]) }
        let partials = rowSum(items, lanes: width)
        var total: Scalar = 0
        for k in (registers * width)..<count { total = total + x[k] }
        for k in 0..<width { total = total + partials[k] }
        return 0 + total  // the output starts at zero and is accumulated into
    }

    /// `row_sum`: the items as a `(-1, 4)` array summed by `multi_row_sum`, the items that
    /// do not fill a row added to partial sum 0, then the partial sums.
    private static func rowSum<Scalar: TensorScalar>(_ items: [[Scalar]], lanes: Int) -> [Scalar] {
        let ilp = 4
        let rows = items.count / ilp
        var partial = multiRowSum(items, rows: rows, columns: ilp, lanes: lanes)
        for i in (rows * ilp)..<items.count { add(&partial[0], items[i]) }
        for k in 1..<ilp { add(&partial[0], partial[k]) }
        return partial[0]
    }

    /// `multi_row_sum`: a cascade of four levels; level 0 takes `2^p` rows at a time
    /// (`p = max(4, ceil(log2(rows)) / 4)`), and each level spills into the next.
    private static func multiRowSum<Scalar: TensorScalar>(
        _ items: [[Scalar]], rows: Int, columns: Int, lanes: Int
    ) -> [[Scalar]] {
        let levels = 4
        let levelPower = max(4, ceilLog2(rows) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        let zero = [Scalar](repeating: 0, count: lanes)
        var acc = [[[Scalar]]](repeating: [[Scalar]](repeating: zero, count: columns), count: levels)
        var i = 0
        while i + levelStep <= rows {
            for _ in 0..<levelStep {
                for k in 0..<columns { add(&acc[0][k], items[i * columns + k]) }
                i += 1
            }
            for j in 1..<levels {
                for k in 0..<columns {
                    add(&acc[j][k], acc[j - 1][k])
                    acc[j - 1][k] = zero
                }
                if i & (levelMask << (j * levelPower)) != 0 { break }
            }
        }
        while i < rows {
            for k in 0..<columns { add(&acc[0][k], items[i * columns + k]) }
            i += 1
        }
        for j in 1..<levels {
            for k in 0..<columns { add(&acc[0][k], acc[j][k]) }
        }
        return acc[0]
    }

    private static func add<Scalar: TensorScalar>(_ a: inout [Scalar], _ b: [Scalar]) {
        for l in a.indices { a[l] = a[l] + b[l] }
    }

    /// `utils::CeilLog2`: 1 for `x <= 2`, else ⌈log₂ x⌉.
    private static func ceilLog2(_ x: Int) -> Int {
        x <= 2 ? 1 : Int.bitWidth - (x - 1).leadingZeroBitCount
    }
}
