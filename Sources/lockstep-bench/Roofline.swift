import Dispatch
import LockstepOptim

/// The memory-bandwidth roofline of an optimizer step: STREAM-style kernels over `Float`
/// arrays moving the same bytes.
///
/// - ``roofline(_:scale:)``, the roofline: the step's own access pattern with STREAM's
///   triad as its arithmetic. A step that reads a gradient and `w` tensors it updates in
///   place (AdamW: reads g and p, m, v, writes p, m, v) becomes `x = g[i]`,
///   `a[i] = a[i] + s·x` for each of the `w` arrays: the same streams and bytes, the least
///   work. The mix matters: on this machine a 3-read/2-write pattern moves more bytes per
///   second than STREAM's 2-read/1-write.
/// - ``stream(_:)``, STREAM's own `a[i] = b[i] + s·c[i]` over the same bytes, counted as
///   STREAM counts it (12 bytes per element), for reference: the cache also reads `a`
///   before writing it (write-allocate), so it moves 16 bytes per element while counting
///   12 and reports about three quarters of what the bus moves.
final class Roofline: @unchecked Sendable {
    /// Elements per array of the step-pattern kernel, and of STREAM's triad.
    let count, streamCount: Int
    /// The arrays updated in place, and the one read-only array (the gradient).
    private let written: [UnsafeMutablePointer<Float>]
    private let read: UnsafeMutablePointer<Float>
    private let a, b, c: UnsafeMutablePointer<Float>

    /// The roofline of a step over `elements` elements that updates `writes` arrays in place
    /// and reads one more (every optimizer here reads a gradient besides).
    init(elements: Int, writes: Int) {
        count = elements
        streamCount = max(1, elements * (2 * writes + 1) * 4 / 12)
        written = (0..<writes).map { _ in Self.filled(elements) }
        read = Self.filled(elements)
        (a, b, c) = (Self.filled(streamCount), Self.filled(streamCount), Self.filled(streamCount))
    }

    deinit {
        for pointer in written + [read, a, b, c] { pointer.deallocate() }
    }

    /// An array on a cache-line boundary, as torch allocates tensors: the roofline is the
    /// best the memory system gives.
    private static func filled(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        for i in 0..<count { pointer[i] = Float(i % 1024) * 0x1p-10 }
        return pointer
    }

    var bytesPerPass: Int { count * (2 * written.count + 1) * 4 }
    var streamBytesPerPass: Int { streamCount * 12 }

    /// One pass of the step-pattern kernel, split across threads as the optimizers split a
    /// tensor. Alternate the sign of `scale` to keep the values bounded.
    func roofline(_ parallelism: Parallelism, scale: Float) {
        run(parallelism.chunks(count: count)) { range in
            let g = self.read
            switch self.written.count {
            case 2:
                let (p, m) = (self.written[0], self.written[1])
                for i in range {
                    let x = g[i]
                    p[i] = p[i] + scale * x
                    m[i] = m[i] + scale * x
                }
            case 3:
                let (p, m, v) = (self.written[0], self.written[1], self.written[2])
                for i in range {
                    let x = g[i]
                    p[i] = p[i] + scale * x
                    m[i] = m[i] + scale * x
                    v[i] = v[i] + scale * x
                }
            default:
                for a in self.written { for i in range { a[i] = a[i] + scale * g[i] } }
            }
        }
    }

    /// One pass of STREAM's triad.
    func stream(_ parallelism: Parallelism) {
        run(parallelism.chunks(count: streamCount)) { range in
            let (a, b, c) = (self.a, self.b, self.c)
            for i in range { a[i] = b[i] + 3 * c[i] }
        }
    }

    private func run(_ chunks: [Range<Int>], _ body: @escaping @Sendable (Range<Int>) -> Void) {
        if chunks.count == 1 {
            body(chunks[0])
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks.count) { body(chunks[$0]) }
        }
    }
}
