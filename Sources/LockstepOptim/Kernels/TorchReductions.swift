/// Reductions of torch's CPU kernels (2-norms, sums, dot products), in torch's summation order.
///
/// A reduction's result depends on the order of its additions. These follow the kernels
/// torch 2.15 runs on an AVX-512 (or AVX2) machine, where the reduction stubs run at AVX2
/// width — 8 `Float`s or 4 `Double`s per vector (``lanes``) — found by experiment against
/// torch (every length 1...129, float32 and float64) and consistent with
/// `aten/src/ATen/native/cpu/ReduceOpsKernel.cpp` and `SumKernel.cpp`.
enum TorchReductions {
    /// Elements per AVX2 vector: 8 `Float`s, 4 `Double`s.
    static func lanes<Scalar: TensorScalar>(_: Scalar.Type) -> Int { 32 / MemoryLayout<Scalar>.size }

    /// `torch.linalg.vector_norm(x)` over contiguous elements (a full reduction, or
    /// `dim=-1`): the vectorised "last dimension" kernel. Lane `i` accumulates
    /// `acc[i] + x·x` (product rounded, then sum) over whole vectors; the lanes are added in
    /// order; the tail (`count % lanes` elements) goes on adding into that sum — GCC
    /// vectorises its products in blocks of 4 (rounded, then added in order) and fuses the
    /// last `tail % 4` into FMAs. The square root is correctly rounded (`std::sqrt`).
    static func contiguousNorm<Scalar: TensorScalar, C: RandomAccessCollection<Scalar>>(_ x: C) -> Scalar
    where C.Index == Int {
        let width = lanes(Scalar.self)
        let count = x.count
        let base = x.startIndex
        let bodyEnd = count - count % width
        var acc = [Scalar](repeating: 0, count: width)
        var i = 0
        while i < bodyEnd {
            for lane in 0..<width {
                let v = x[base + i + lane]
                acc[lane] = acc[lane] + v * v
            }
            i += width
        }
        var sum = acc[0]
        for lane in 1..<width { sum = sum + acc[lane] }
        let tail = count - bodyEnd
        let blockedEnd = bodyEnd + (tail - tail % 4)
        for j in bodyEnd..<count {
            let v = x[base + j]
            sum = j < blockedEnd ? sum + v * v : Scalar.fma(v, v, sum)
        }
        return sum.squareRoot()
    }

    /// `torch.linalg.vector_norm(x, dim=d)` over a dimension that is not the last: the
    /// generic reduction, one accumulator adding `x·x` (rounded) in index order.
    static func stridedNorm<Scalar: TensorScalar>(_ x: [Scalar], start: Int, stride: Int, count: Int) -> Scalar {
        var sum: Scalar = 0
        for k in 0..<count {
            let v = x[start + k * stride]
            sum = sum + v * v
        }
        return sum.squareRoot()
    }

    /// `torch.sum` over contiguous elements (`SumKernel.cpp`): with at least one full
    /// vector, the vectorised inner sum (vectors summed by ``cascadeSum(_:zero:add:)``,
    /// then the scalar tail, then the lanes, in order, into one scalar); else the scalar
    /// cascade sum.
    static func contiguousSum<Scalar: TensorScalar>(_ x: ArraySlice<Scalar>) -> Scalar {
        let width = lanes(Scalar.self)
        let values = Array(x)
        guard values.count >= width else { return cascadeSum(values, zero: Scalar(0), add: +) }
        let vectorCount = values.count / width
        let vectors = (0..<vectorCount).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
        let partials = cascadeSum(vectors, zero: [Scalar](repeating: 0, count: width)) { a, b in zip(a, b).map { $0 + $1 } }
        var sum: Scalar = 0
        for v in values[(vectorCount * width)...] { sum = sum + v }
        for p in partials { sum = sum + p }
        return sum
    }

    /// `row_sum` of `SumKernel.cpp`: four interleaved accumulators (`ilp_factor`), each a
    /// cascade of four levels that flushes every `2^max(4, ⌈log₂ n⌉/4)` rows; then the
    /// leftover elements into accumulator 0, then accumulators 1...3 into it.
    static func cascadeSum<T>(_ items: [T], zero: T, add: (T, T) -> T) -> T {
        let ilp = 4, levels = 4
        let rows = items.count / ilp
        let ceilLog2 = rows <= 1 ? 0 : Int.bitWidth - (rows - 1).leadingZeroBitCount
        let levelPower = max(4, ceilLog2 / levels)
        let levelStep = 1 << levelPower, levelMask = levelStep - 1
        var acc = [[T]](repeating: [T](repeating: zero, count: ilp), count: levels)
        var i = 0
        while i + levelStep <= rows {
            for _ in 0..<levelStep {
                for k in 0..<ilp { acc[0][k] = add(acc[0][k], items[i * ilp + k]) }
                i += 1
            }
            for j in 1..<levels {
                for k in 0..<ilp {
                    acc[j][k] = add(acc[j][k], acc[j - 1][k])
                    acc[j - 1][k] = zero
                }
                if i & (levelMask << (j * levelPower)) != 0 { break }
            }
        }
        while i < rows {
            for k in 0..<ilp { acc[0][k] = add(acc[0][k], items[i * ilp + k]) }
            i += 1
        }
        for j in 1..<levels {
            for k in 0..<ilp { acc[0][k] = add(acc[0][k], acc[j][k]) }
        }
        var partial = acc[0]
        for index in (rows * ilp)..<items.count { partial[0] = add(partial[0], items[index]) }
        for k in 1..<ilp { partial[0] = add(partial[0], partial[k]) }
        return partial[0]
    }

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

    /// `tensor.sum()` of a contiguous vector (see ``contiguousSum(_:)``).
    static func sum<Scalar: TensorScalar>(_ x: [Scalar]) -> Scalar { contiguousSum(x[...]) }
}
