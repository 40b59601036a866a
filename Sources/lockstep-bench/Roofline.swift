import Dispatch
import LockstepOptim

/// The memory-bandwidth roofline: STREAM-style triads over `Float` arrays whose traffic
/// equals the traffic of the optimizer step they are compared with.
///
/// - ``inPlace(_:scale:)``, `a[i] = a[i] + s·b[i]` (12 bytes per element: two reads, one
///   write), is the roofline: like an optimizer step it writes only what it has read, so
///   the bytes counted are the bytes moved.
/// - ``stream(_:scale:)``, STREAM's own `a[i] = b[i] + s·c[i]`, counted as STREAM counts
///   it (12 bytes), for reference: the cache also reads `a` before writing it
///   (write-allocate), so it moves 16 bytes per element and reports less than the bus does.
struct Triad {
    let count: Int
    private var a, b, c: [Float]

    /// A triad moving `bytes` bytes per pass.
    init(bytes: Int) {
        count = max(1, bytes / 12)
        a = [Float](repeating: 0, count: count)
        b = (0..<count).map { Float($0 % 1024) * 0x1p-10 }
        c = b.reversed()
    }

    var bytesPerPass: Int { count * 12 }

    /// One in-place pass, split across threads as the optimizers split a tensor.
    mutating func inPlace(_ parallelism: Parallelism, scale: Float) { pass(parallelism, scale: scale, inPlace: true) }

    /// One STREAM pass, split across threads as the optimizers split a tensor.
    mutating func stream(_ parallelism: Parallelism, scale: Float) { pass(parallelism, scale: scale, inPlace: false) }

    private mutating func pass(_ parallelism: Parallelism, scale: Float, inPlace: Bool) {
        let count = self.count
        let chunks = parallelism.chunks(count: count)
        b.withUnsafeBufferPointer { b in
            c.withUnsafeBufferPointer { c in
                a.withUnsafeMutableBufferPointer { a in
                    let buffers = UnsafeBuffers(a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
                    if chunks.count == 1 {
                        buffers.triad(0..<count, scale, inPlace: inPlace)
                    } else {
                        DispatchQueue.concurrentPerform(iterations: chunks.count) {
                            buffers.triad(chunks[$0], scale, inPlace: inPlace)
                        }
                    }
                }
            }
        }
    }

    private struct UnsafeBuffers: @unchecked Sendable {
        let a: UnsafeMutablePointer<Float>
        let b, c: UnsafePointer<Float>

        func triad(_ range: Range<Int>, _ scale: Float, inPlace: Bool) {
            if inPlace {
                for i in range { a[i] = a[i] + scale * b[i] }
            } else {
                for i in range { a[i] = b[i] + scale * c[i] }
            }
        }
    }
}
