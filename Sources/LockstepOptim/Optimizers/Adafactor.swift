import Foundation

/// Adafactor: torch's `torch.optim.Adafactor`, second moments kept as row and column
/// factors for parameters of two or more dimensions.
///
/// With gradient `G`, parameters `θ` (`n` elements), learning rate `γ`, `τ` (beta2_decay),
/// `ε₁, ε₂`, clipping threshold `d`, weight decay `λ`:
///
/// ```
/// t ← t + 1
/// G ← −G                                          if maximize
/// β̂ ← t^τ                                         (1 − β₂ in the paper's notation)
/// ρ ← min(γ, 1/√t)
/// α ← max(ε₂, ‖θ‖₂/√n) · ρ                        θ before the decay
/// θ ← θ · (1 − γλ)                                if λ ≠ 0
/// if dim(G) ≥ 2 (factored over the last two dimensions, R rows × C columns):
///     R ← lerp(R, ‖G‖²_rows / C, β̂)             row_var  [..., R, 1]
///     C ← lerp(C, ‖G‖²_cols / R, β̂)             col_var  [..., 1, C]
///     V ← (R · C) / max(mean(R), ε₁)
/// else:
///     V ← lerp(V, G·G, β̂)                        variance
/// U ← G / √max(V, ε₁²)                             (rsqrt, then mul)
/// θ ← θ − α / max(1, ‖U‖₂ / (√n · d)) · U
/// ```
///
/// Defaults: `lr = 1e-2`, `beta2_decay = -0.8`, `eps = (None, 1e-3)` (`ε₁ = None` is the
/// dtype's machine epsilon), `d = 1`, `weight_decay = 0`, `maximize = false`.
/// State: `step`, and `row_var`, `col_var` (two or more dimensions) or `variance`.
///
/// Numerics: follows `_single_tensor_adafactor` op by op: `lerp_` and `add_` with alpha
/// fused where the capability has FMA; `rsqrt` is `1/√x`, both correctly rounded; the norms
/// and the mean are torch's reductions in torch's summation order (`TorchReductions`);
/// scalar coefficients (`t^τ`, `ρ`, `α`, the clip) are Python floats, the norms enter them
/// through `.item()`. `foreach = true` groups follow `_multi_tensor_adafactor`, which
/// differs in one place: the update is scaled (`_foreach_mul_`) and then added
/// (`_foreach_add_`), two roundings instead of one fused `add_(alpha=)`.
///
/// Differs from PyTorch: CPU paths only; the reduction order reproduced is the one of the
/// AVX2 and AVX-512 builds (not verified for `DEFAULT`). A tensor `lr` is not supported.
///
/// References: Shazeer & Stern, *Adafactor: Adaptive Learning Rates with Sublinear Memory
/// Cost*, ICML 2018; https://pytorch.org/docs/stable/generated/torch.optim.Adafactor.html
public final class Adafactor<Scalar: TensorScalar>: PerParameterOptimizer {
    /// `eps`: torch's pair `(eps1, eps2)`, coded as the two-element list `[ε₁ or null, ε₂]`.
    public struct Epsilons: Codable, Sendable, Equatable {
        /// Added where the variance estimate is clamped; `nil` takes the dtype's epsilon.
        public var eps1: Double?
        /// The smallest parameter RMS the step size is scaled by.
        public var eps2: Double

        public init(_ eps1: Double?, _ eps2: Double) {
            self.eps1 = eps1
            self.eps2 = eps2
        }

        public init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            eps1 = try container.decodeNil() ? nil : try container.decode(Double.self)
            eps2 = try container.decode(Double.self)
            guard container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "eps must hold exactly two entries")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.unkeyedContainer()
            if let eps1 { try container.encode(eps1) } else { try container.encodeNil() }
            try container.encode(eps2)
        }
    }

    /// Adafactor's hyperparameters under torch's names.
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var beta2Decay: Double
        public var eps: Epsilons
        public var d: Double
        public var weightDecay: Double
        /// `true` reproduces `_multi_tensor_adafactor`'s rounding; `nil`/`false` the for-loop.
        public var foreach: Bool?
        public var maximize: Bool

        public init(
            lr: Double = 1e-2, beta2Decay: Double = -0.8, eps: Epsilons = Epsilons(nil, 1e-3), d: Double = 1.0,
            weightDecay: Double = 0.0, foreach: Bool? = nil, maximize: Bool = false
        ) {
            self.lr = lr
            self.beta2Decay = beta2Decay
            self.eps = eps
            self.d = d
            self.weightDecay = weightDecay
            self.foreach = foreach
            self.maximize = maximize
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, eps, d, foreach, maximize
            case beta2Decay = "beta2_decay"
            case weightDecay = "weight_decay"
        }
    }

    /// A parameter's state: `step`, and `row_var` and `col_var` (factored) or `variance`.
    public struct State: TorchState {
        public var step = 0.0
        /// `[..., R, 1]`: the running mean of squared gradients over each row.
        public var rowVar: [Scalar]?
        /// `[..., 1, C]`: the running mean of squared gradients over each column.
        public var colVar: [Scalar]?
        /// The running mean of squared gradients, for parameters of fewer than two dimensions.
        public var variance: [Scalar]?
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .optionalTensor("row_var", \.rowVar, shape: rowShape),
             .optionalTensor("col_var", \.colVar, shape: colShape), .optionalTensor("variance", \.variance)]
        }

        /// Whether the second moment is factored: the parameter has two or more dimensions.
        static func isFactored(_ shape: [Int]) -> Bool { shape.count > 1 }
        static func rowShape(_ shape: [Int]) -> [Int] { shape.dropLast() + [1] }
        static func colShape(_ shape: [Int]) -> [Int] { shape.dropLast(2) + [1, shape[shape.count - 1]] }
        /// The keys of a parameter of `shape`: the factors, or the full variance.
        static func keys(forShape shape: [Int]) -> [String] {
            isFactored(shape) ? ["step", "row_var", "col_var"] : ["step", "variance"]
        }

        /// Rebuilds the state from torch's entries: those a parameter of `shape` keeps
        /// (`keys(forShape:)`), each required; any other is torch's `KeyError`.
        public init(torchState entries: [String: StateValue<Scalar>], parameterShape shape: [Int]) throws {
            let keys = Self.keys(forShape: shape)
            for key in entries.keys.sorted() where !keys.contains(key) {
                throw OptimizerError(.keyError, "keeps no state '\(key)' for a parameter of shape \(shape)")
            }
            self.init()
            for entry in Self.entries where keys.contains(entry.key) {
                try entry.write(&self, try entries.required(entry.key), shape)
            }
        }
    }

    public static var torchName: String { "Adafactor" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/_adafactor.py`).
    public static func validate(_ o: Options) throws {
        try TorchCheck.shouldBeNonNegative(o.lr, "Learning rate")
        guard 0.0 >= o.beta2Decay else {
            throw OptimizerError(.valueError, "beta2_decay should be <= 0 but is: \(pythonRepr(o.beta2Decay))")
        }
        if let eps1 = o.eps.eps1 { try TorchCheck.shouldBeNonNegative(eps1, "epsilon1") }
        try TorchCheck.shouldBeNonNegative(o.eps.eps2, "epsilon2")
        guard 1.0 <= o.d else { throw OptimizerError(.valueError, "Clipping threshold d should be >= 1 but is: \(pythonRepr(o.d))") }
        try TorchCheck.shouldBeNonNegative(o.weightDecay, "weight_decay")
    }

    /// `step`, and `row_var`, `col_var` or `variance` depending on each parameter's shape.
    public static func stateKeys(for options: Options) -> [String] { ["step", "row_var", "col_var", "variance"] }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        var state = State()
        let shape = parameter.shape
        if State.isFactored(shape) {
            state.rowVar = [Scalar](repeating: 0, count: State.rowShape(shape).reduce(1, *))  // grad.new_zeros(row_shape)
            state.colVar = [Scalar](repeating: 0, count: State.colShape(shape).reduce(1, *))  // grad.new_zeros(col_shape)
        } else {
            state.variance = zeros(like: parameter)
        }
        return state
    }

    /// Python's `max(a, b)` and `min(a, b)`: the first argument unless the second compares
    /// strictly beyond it (so a NaN second argument is never chosen).
    private static func pyMax(_ a: Double, _ b: Double) -> Double { b > a ? b : a }
    private static func pyMin(_ a: Double, _ b: Double) -> Double { b < a ? b : a }

    /// One parameter's step, the loop body of `_single_tensor_adafactor`.
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (fma, count) = (p.fma, p.count)
        let grad = o.maximize ? p.grad.map { -$0 } : Array(p.grad)
        let eps1 = o.eps.eps1 ?? Double(Scalar.ulpOfOne)        // torch.finfo(param.dtype).eps
        // step_t is a float32 tensor; `.item()` gives its value as a Python float.
        let t = Double(Float(p.step))
        let oneMinusBeta2 = Scalar(Foundation.pow(t, o.beta2Decay))      // step_float ** beta2_decay
        let rho = Self.pyMin(o.lr, 1 / Foundation.pow(t, 0.5))
        let rootCount = Foundation.pow(Double(count), 0.5)               // param.numel() ** 0.5
        let paramNorm = Double(TorchReductions.contiguousNorm(p.value))
        let alpha = Self.pyMax(o.eps.eps2, paramNorm / rootCount) * rho

        if o.weightDecay != 0 {
            let decay = Scalar(1 - o.lr * o.weightDecay)
            for i in p.indices { p.value[i] = p.value[i] * decay }      // param.mul_(1 - lr * wd)
        }

        var estimate: [Scalar]
        if State.isFactored(p.shape) {
            estimate = Self.factoredEstimate(grad, shape: p.shape, state: &p.state, weight: oneMinusBeta2, eps1: eps1, fma: fma)
        } else {
            var variance = p.state.variance ?? []
            p.state.variance = nil
            for i in 0..<count {
                variance[i] = TorchOps.lerp(variance[i], grad[i] * grad[i], oneMinusBeta2, fused: fma)  // lerp_(g * g, β̂)
            }
            p.state.variance = variance
            estimate = variance                                          // variance.clone()
        }

        let floor = Scalar(eps1 * eps1)
        for i in 0..<count {
            let clamped = TorchOps.clampMin(estimate[i], floor)          // clamp_(min=eps1 * eps1)
            estimate[i] = (1 / clamped.squareRoot()) * grad[i]           // .rsqrt_(), update.mul_(grad)
        }
        let update = estimate
        let clip = Self.pyMax(1.0, Double(TorchReductions.contiguousNorm(update)) / (rootCount * o.d))
        let scale = Scalar(-alpha / clip)
        for i in 0..<count {
            if o.foreach == true {
                p.value[i] = p.value[i] + update[i] * scale              // _foreach_mul_, _foreach_add_
            } else {
                p.value[i] = TorchOps.fusedMultiplyAdd(update[i], scale, p.value[i], fma)  // add_(alpha=)
            }
        }
    }

    /// `row_var`, `col_var` updated from `grad`, and the variance estimate
    /// `(row_var @ col_var) / max(row_var.mean(dim=-2), ε₁)`, over the last two dimensions.
    private static func factoredEstimate(
        _ grad: [Scalar], shape: [Int], state: inout State, weight: Scalar, eps1: Double, fma: Bool
    ) -> [Scalar] {
        let rows = shape[shape.count - 2], cols = shape[shape.count - 1]
        let batches = shape.dropLast(2).reduce(1, *)
        var rowVar = state.rowVar ?? [], colVar = state.colVar ?? []
        let (rowCount, colCount) = (Scalar(rows), Scalar(cols))
        let eps1 = Scalar(eps1)
        var estimate = [Scalar](repeating: 0, count: grad.count)
        for b in 0..<batches {
            let base = b * rows * cols
            for r in 0..<rows {
                let start = base + r * cols
                let norm = TorchReductions.contiguousNorm(grad[start..<(start + cols)])  // vector_norm(dim=-1)
                let mean = (norm * norm) / colCount                                    // .square_().div_(C)
                rowVar[b * rows + r] = TorchOps.lerp(rowVar[b * rows + r], mean, weight, fused: fma)
            }
            for c in 0..<cols {
                let norm = TorchReductions.stridedNorm(grad, start: base + c, stride: cols, count: rows)  // dim=-2
                let mean = (norm * norm) / rowCount
                colVar[b * cols + c] = TorchOps.lerp(colVar[b * cols + c], mean, weight, fused: fma)
            }
            let rowSlice = rowVar[(b * rows)..<((b + 1) * rows)]
            let rowMean = TorchReductions.contiguousSum(rowSlice) / rowCount             // row_var.mean(dim=-2)
            let divisor = TorchOps.clampMin(rowMean, eps1)                               // .clamp_(min=eps1)
            for r in 0..<rows {
                for c in 0..<cols {
                    let product = rowVar[b * rows + r] * colVar[b * cols + c]          // row_var @ col_var
                    estimate[base + r * cols + c] = product / divisor                    // var_estimate.div_(...)
                }
            }
        }
        state.rowVar = rowVar
        state.colVar = colVar
        return estimate
    }
}
