/// A step's element loop over raw pointers into the parameter, its gradient and its state:
/// the kernels of SGD, Adagrad, Adam and AdamW, whose loops run in `CLockstepKernels`,
/// compiled for each instruction set and chosen at run time (``KernelISA``), so a default
/// release build runs them at memory speed (`docs/performance.md`).
///
/// A kernel holds the pointers and the step's coefficients. It supplies ``loop(_:)``, one
/// loop over a range of elements (a call of its C loop), and ``elements(_:)``, its entry
/// point for a chunk, specialised for `Float` and `Double`, which is always
///
/// ```swift
/// @_specialize(where Scalar == Float)
/// @_specialize(where Scalar == Double)
/// func elements(_ range: Range<Int>) { alignedLoops(range) }
/// ```
///
/// ``run(count:_:)`` splits the tensor across threads; ``alignedLoops(_:)`` runs the loop
/// over a chunk in two parts, split where the parameter's stream reaches a 64-byte
/// boundary. Neither changes a result: every element is computed from its own values and
/// its position in the whole tensor.
protocol ElementKernel {
    associatedtype Scalar
    /// The parameter's elements: the stream whose 64-byte boundaries the loops start at.
    var param: UnsafeMutablePointer<Scalar> { get }
    /// The elements `range` of one chunk: ``alignedLoops(_:)``, specialised.
    func elements(_ range: Range<Int>)
    /// One loop over the elements `range`.
    func loop(_ range: Range<Int>)
}

extension ElementKernel {
    /// Runs the kernel over the elements `0..<count`, split across threads as `parallelism`
    /// says.
    func run(count: Int, _ parallelism: Parallelism) {
        parallelism.forEachChunk(count: count) { elements($0) }
    }

    /// ``loop(_:)`` over `range`: first the few elements before the parameter's first
    /// 64-byte boundary, then the rest, so that the vector loads and stores of the second
    /// loop do not straddle cache lines (see ``firstAlignedIndex(_:in:)``).
    @inline(__always)
    func alignedLoops(_ range: Range<Int>) {
        let aligned = firstAlignedIndex(param, in: range)
        loop(range.lowerBound..<aligned)
        loop(aligned..<range.upperBound)
    }
}

extension ParameterStep {
    /// The first elements of the parameter and its gradient, for a kernel over raw
    /// pointers; `nil` for an empty tensor, which has nothing to update (and whose buffers,
    /// and its state's, may have no address).
    var elementPointers: (param: UnsafeMutablePointer<Scalar>, grad: UnsafePointer<Scalar>)? {
        guard !value.isEmpty, let param = value.baseAddress, let grad = grad.baseAddress else { return nil }
        return (param, grad)
    }
}

extension Optional {
    /// Runs `body` with a pointer to the elements of the array, updated in place, or with
    /// `nil` when there is none (an optional state tensor: SGD's `momentum_buffer`, Adam's
    /// `max_exp_avg_sq`).
    mutating func withUnsafeMutableElements<Element, R>(
        _ body: (UnsafeMutablePointer<Element>?) -> R
    ) -> R where Wrapped == [Element] {
        guard var array = self else { return body(nil) }
        self = nil  // one reference, so the array is updated in place
        defer { self = array }
        return array.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}

extension UnsafeMutablePointer {
    /// The same address as a pointer to `T`: a kernel's `Scalar` is `Float` or `Double`,
    /// and the C loop (`CLockstepKernels`) for that type takes it.
    @inline(__always)
    func cast<T>() -> UnsafeMutablePointer<T> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: T.self) }
}

extension UnsafePointer {
    /// The same address as a pointer to `T` (see `UnsafeMutablePointer.cast()`).
    @inline(__always)
    func cast<T>() -> UnsafePointer<T> { UnsafeRawPointer(self).assumingMemoryBound(to: T.self) }
}
