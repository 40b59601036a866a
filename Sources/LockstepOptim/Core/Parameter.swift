/// A tensor the optimizer updates, with its gradient: torch's `nn.Parameter` and its `.grad`.
///
/// Parameters are reference types, as in torch: the optimizer and the model share them,
/// and the optimizer keeps per-parameter state keyed by identity. Values are stored flat in
/// row-major order; their count is fixed by the shape.
public final class Parameter<Scalar: TensorScalar>: @unchecked Sendable {
    /// The tensor's shape; `[]` for a scalar.
    public let shape: [Int]
    /// The values, row-major. Set them with ``setValue(_:)``.
    public internal(set) var value: [Scalar]
    /// The gradient, or `nil` when it is `None` in torch (the optimizer then skips the
    /// parameter). Set it with ``setGrad(_:)`` or ``setGrad(_:sparseMask:)``.
    public internal(set) var grad: [Scalar]?
    /// For a sparse gradient (torch's sparse COO `.grad`, as `nn.Embedding(sparse=True)`
    /// produces), which entries it holds; `nil` for a dense gradient. ``grad`` then holds the
    /// dense equivalent: the stored values, zero elsewhere. A held entry may be zero.
    public internal(set) var sparseGradMask: [Bool]?

    /// The number of elements.
    public var count: Int { value.count }

    private init(checkedShape shape: [Int], value: [Scalar]) {
        self.shape = shape
        self.value = value
    }

    /// Creates a parameter; throws if `value` does not fill `shape`.
    public convenience init(shape: [Int], value: [Scalar]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw OptimizerError(.valueError, "parameter shape \(shape) has a negative dimension")
        }
        guard value.count == shape.reduce(1, *) else {
            throw OptimizerError(.valueError, "parameter of shape \(shape) needs \(shape.reduce(1, *)) values, got \(value.count)")
        }
        self.init(checkedShape: shape, value: value)
    }

    /// A one-dimensional parameter holding `value`.
    public convenience init(_ value: [Scalar]) {
        self.init(checkedShape: [value.count], value: value)
    }

    /// Replaces the values (torch's `p.data.copy_(...)`), checking the element count.
    public func setValue(_ value: [Scalar]) throws {
        guard value.count == count else {
            throw OptimizerError(.runtimeError, "value has \(value.count) elements, parameter of shape \(shape) has \(count)")
        }
        self.value = value
    }

    /// Sets a dense gradient, checking its element count; `nil` clears it.
    public func setGrad(_ grad: [Scalar]?) throws {
        if let grad, grad.count != count {
            throw OptimizerError(.runtimeError, "gradient has \(grad.count) elements, parameter of shape \(shape) has \(count)")
        }
        self.grad = grad
        sparseGradMask = nil
    }

    /// Sets a sparse gradient: `grad` dense (zero where nothing is held) and `sparseMask`
    /// true at the entries the sparse tensor holds (its coalesced indices).
    ///
    /// - Throws: when either count differs from the parameter's, or `grad` is nonzero where
    ///   `sparseMask` holds nothing.
    public func setGrad(_ grad: [Scalar], sparseMask: [Bool]) throws {
        try setGrad(grad)
        guard sparseMask.count == count else {
            throw OptimizerError(.runtimeError, "sparse mask has \(sparseMask.count) entries, parameter of shape \(shape) has \(count)")
        }
        if let index = grad.indices.first(where: { grad[$0] != 0 && !sparseMask[$0] }) {
            throw OptimizerError(.runtimeError, "sparse gradient is nonzero at \(index), where its mask holds no entry")
        }
        sparseGradMask = sparseMask
    }
}
