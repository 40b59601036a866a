import Dispatch

/// How an optimizer splits the element loop of one tensor across threads.
///
/// An optimizer step is memory-bound: one thread rarely saturates the memory bus, two or
/// more can. A tensor of at least `minimumElementsPerThread · 2` elements is cut into
/// consecutive chunks, one per thread (at most `threads`), each a whole number of
/// ``chunkAlignment`` elements, and the chunks run concurrently on Dispatch's shared
/// worker threads (`DispatchQueue.concurrentPerform`; no thread is created per step).
///
/// Results never depend on the split: every element is computed from its own values and
/// its position in the whole tensor (the fused kernels' regions, such as the scalar
/// epilogue of the last `count mod 8` elements, are positions in the tensor, not in a
/// chunk), so one thread and many give the same bits.
public struct Parallelism: Sendable, Hashable, Codable {
    /// The most threads one tensor's loop is split across; 1 runs on the calling thread.
    public var threads: Int
    /// A tensor is split only where each thread gets at least this many elements: below
    /// that, waking a worker costs more than it saves.
    public var minimumElementsPerThread: Int

    /// Chunks start at multiples of this many elements; the default 64 (four cache lines of
    /// `Float`s) keeps two threads off the same cache line. Any value gives the same
    /// results, which the tests check by splitting small tensors at odd positions.
    public var chunkAlignment: Int

    /// Everything on the calling thread: the default.
    public static let serial = Parallelism(threads: 1)

    /// - Parameters:
    ///   - threads: the most threads per tensor, at least 1.
    ///   - minimumElementsPerThread: the smallest chunk worth a thread.
    ///   - chunkAlignment: chunks start at multiples of this.
    public init(threads: Int, minimumElementsPerThread: Int = 1 << 15, chunkAlignment: Int = 64) {
        self.threads = max(1, threads)
        self.minimumElementsPerThread = max(1, minimumElementsPerThread)
        self.chunkAlignment = max(1, chunkAlignment)
    }

    /// The chunks `0..<count` is cut into: consecutive, covering it, in order.
    public func chunks(count: Int) -> [Range<Int>] {
        let parts = max(1, min(threads, count / minimumElementsPerThread))
        guard parts > 1 else { return [0..<count] }
        let alignment = chunkAlignment
        let size = ((count + parts - 1) / parts + alignment - 1) / alignment * alignment
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// Runs `body` on every chunk of `0..<count`, concurrently when there is more than one.
    ///
    /// `body` must only touch elements of the range it is given.
    func forEachChunk(count: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count / minimumElementsPerThread))
        guard parts > 1 else {
            body(0..<count)
            return
        }
        let chunks = self.chunks(count: count)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks.count) { index in work.value(chunks[index]) }
        }
    }
}

/// A value handed to concurrent workers that the caller knows to be safe there: element
/// loops on disjoint ranges of the same buffers.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Where a loop over `range` should start its vectorised part: the first index at which
/// `base + index` lies on a 64-byte boundary (a cache line, and an AVX-512 vector), or the
/// range's end. Large arrays of one type share their offset from a cache line, so one
/// split aligns every stream; a vector load across two cache lines costs twice. Splitting
/// a loop changes no result: each element depends on its own values and global position.
func firstAlignedIndex<Scalar>(_ base: UnsafePointer<Scalar>, in range: Range<Int>) -> Int {
    let stride = MemoryLayout<Scalar>.stride
    let misalignment = Int(bitPattern: base + range.lowerBound) & 63
    guard misalignment != 0, misalignment % stride == 0 else { return range.lowerBound }
    return min(range.upperBound, range.lowerBound + (64 - misalignment) / stride)
}
