import Foundation

/// Muon: momentum orthogonalised by a Newton–Schulz iteration (torch's `torch.optim.Muon`),
/// for 2-D parameters only.
///
/// With gradient `g`, parameters `θ` (an `A × B` matrix), learning rate `γ`, weight decay
/// `λ`, momentum `μ`, coefficients `(a, b, c)`, `k` steps:
///
/// ```
/// B ← lerp(B, g, 1 − μ)                          = μB + (1 − μ)g
/// U ← lerp(g, B, μ)  if nesterov,  else  U ← B
/// X ← bf16(U), transposed if A > B
/// X ← X / max(‖X‖, ε)
/// repeat k times:
///     G ← X Xᵀ
///     G ← b·G + c·G G                              (addmm)
///     X ← a·X + G X                                (addmm)
/// θ ← θ(1 − γλ)
/// θ ← θ − adjust(γ, A, B) · X                      (X transposed back)
/// adjust: √max(1, A/B) ("original", default) · 0.2√max(A, B) ("match_rms_adamw")
///         · √(A/B) ("spectral_unclamped")
/// ```
///
/// Defaults: `lr = 1e-3`, `weight_decay = 0.1`, `momentum = 0.95`, `nesterov = true`,
/// `ns_coefficients = (3.4445, -4.775, 2.0315)`, `eps = 1e-7`, `ns_steps = 5`,
/// `adjust_lr_fn = None`. State: `momentum_buffer`.
///
/// Numerics: the momentum and the parameter update run in the parameter's dtype as
/// `_single_tensor_muon` (`lerp_`, `mul_`, `add_` with alpha, fused where the capability
/// has FMA). The Newton–Schulz iteration runs in bfloat16, as torch's does on CPU, and is
/// reproduced operation by operation with a ``BFloat16`` rounding after each op: the
/// conversion (float64 goes through float32 first), the norm (float32 accumulation in
/// 8 lanes), the division, and the matrix products, which torch's CPU bfloat16 GEMM
/// accumulates in float32 — four accumulators taking the reduction index in turn (the
/// leftover `K mod 4` terms into the first), summed in order, then `fma(β, C, α·acc)`, one
/// bfloat16 rounding. Found by experiment against torch 2.15 (`docs/numerics-newopt.md`).
///
/// A tensor `lr` (format extension 16) makes `1 − lr·wd` and `_adjust_lr`'s product tensor
/// operations in the lr's dtype (``TorchNumber``): float32 for `torch.tensor(1e-3)`, even
/// with float64 parameters.
///
/// Differs from PyTorch: none known on AVX-512 CPUs.
///
/// References: Jordan et al., *Muon: An optimizer for hidden layers in neural networks*,
/// 2024 (https://kellerjordan.github.io/posts/muon/); Liu et al., *Muon is Scalable for LLM
/// Training*, 2025; https://pytorch.org/docs/stable/generated/torch.optim.Muon.html
public final class Muon<Scalar: TensorScalar>: PerParameterOptimizer {
    /// How the learning rate is scaled by the matrix shape (`adjust_lr_fn`); torch's strings.
    public struct AdjustLRFunction: RawRepresentable, Codable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `√max(1, A/B)` (Keller Jordan's; also what `nil` means).
        public static var original: Self { Self(rawValue: "original") }
        /// `0.2·√max(A, B)` (Moonshot's: matches AdamW's update RMS).
        public static var matchRMSAdamW: Self { Self(rawValue: "match_rms_adamw") }
        /// `√(A/B)` (Bernstein's).
        public static var spectralUnclamped: Self { Self(rawValue: "spectral_unclamped") }
        static var known: [Self] { [.original, .matchRMSAdamW, .spectralUnclamped] }

        public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// Muon's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); `lr * weight_decay` and `_adjust_lr` are then tensor operations in its dtype.
        public var lrTensor: TensorDType? = nil
        public var weightDecay: Double
        public var momentum: Double
        public var nesterov: Bool
        /// `(a, b, c)` of the quintic iteration; torch requires exactly three.
        public var nsCoefficients: [Double]
        public var eps: Double
        public var nsSteps: Int
        public var adjustLRFn: AdjustLRFunction?

        public init(
            lr: Double = 1e-3, weightDecay: Double = 0.1, momentum: Double = 0.95, nesterov: Bool = true,
            nsCoefficients: [Double] = [3.4445, -4.7750, 2.0315], eps: Double = 1e-7, nsSteps: Int = 5,
            adjustLRFn: AdjustLRFunction? = nil
        ) {
            self.lr = lr
            self.weightDecay = weightDecay
            self.momentum = momentum
            self.nesterov = nesterov
            self.nsCoefficients = nsCoefficients
            self.eps = eps
            self.nsSteps = nsSteps
            self.adjustLRFn = adjustLRFn
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, momentum, nesterov, eps
            case weightDecay = "weight_decay"
            case nsCoefficients = "ns_coefficients"
            case nsSteps = "ns_steps"
            case adjustLRFn = "adjust_lr_fn"
        }
    }

    /// A parameter's state: torch's `momentum_buffer` (`B`); torch's Muon keeps no `step`.
    public struct State: TorchState {
        public var momentumBuffer: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] { [.tensor("momentum_buffer", \.momentumBuffer)] }
    }

    public static var torchName: String { "Muon" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's constructor checks, in torch's order and words (`torch/optim/_muon.py`).
    public static func validate(_ o: Options) throws {
        try TorchCheck.shouldBeNonNegative(o.lr, "Learning rate")
        try TorchCheck.shouldBeNonNegative(o.momentum, "momentum")
        try TorchCheck.shouldBeNonNegative(o.weightDecay, "weight decay")
        if let function = o.adjustLRFn, !AdjustLRFunction.known.contains(function) {
            throw OptimizerError(.valueError, "Adjust learning rate function \(function.rawValue) is not supported")
        }
    }

    /// torch's `ValueError` when a parameter of the constructor's groups is not 2-D, checked
    /// once they are added, as torch's constructor does; a group added later is checked
    /// when it steps ("Param gradient must be a 2D matrix").
    public func didAddInitialGroups() throws {
        for parameter in parameters where parameter.shape.count != 2 {
            throw OptimizerError(
                .valueError,
                "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size(\(parameter.shape))")
        }
    }

    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) throws {
        guard p.shape.count == 2 else { throw OptimizerError(.valueError, "Param gradient must be a 2D matrix") }
        // torch checks these when the iteration runs, not in the constructor.
        guard o.nsSteps < 100 else {
            throw OptimizerError(.valueError, "Number of steps must be less than 100 for computational efficiency")
        }
        guard o.nsCoefficients.count == 3 else {
            throw OptimizerError(.valueError, "Coefficients must be a tuple of exactly 3 values")
        }
        let (rows, cols, fma) = (p.shape[0], p.shape[1], p.fma)
        let keep = Scalar(1 - o.momentum), momentum = Scalar(o.momentum)
        for i in p.indices {
            p.state.momentumBuffer[i] = TorchOps.lerp(p.state.momentumBuffer[i], p.grad[i], keep, fused: fma)  // buf.lerp_(grad, 1 - μ)
        }
        let direction = o.nesterov
            ? zip(p.grad, p.state.momentumBuffer).map { TorchOps.lerp($0, $1, momentum, fused: fma) }       // grad.lerp(buf, μ)
            : p.state.momentumBuffer
        let update = NewtonSchulz.orthogonalize(
            direction.map { Float($0) }, rows: rows, cols: cols, coefficients: o.nsCoefficients, steps: o.nsSteps, eps: o.eps)
        // A tensor lr makes both coefficients tensor operations in its dtype (`TorchNumber`).
        let decay = Scalar((1 - o.learningRate * o.weightDecay).value)
        let scale = Scalar(-Self.adjustedLR(o.learningRate, o.adjustLRFn, rows: rows, cols: cols).value)
        for i in p.indices {
            let decayed = p.value[i] * decay                                               // param.mul_(1 - lr * wd)
            p.value[i] = TorchOps.fusedMultiplyAdd(Scalar(update[i]), scale, decayed, fma)  // add_(alpha=)
        }
    }

    /// `_adjust_lr`: the learning rate scaled for an `A × B` matrix; the ratio is a Python
    /// float, the product a tensor operation when `lr` is a tensor.
    static func adjustedLR(_ lr: TorchNumber, _ function: AdjustLRFunction?, rows: Int, cols: Int) -> TorchNumber {
        let (a, b) = (Double(rows), Double(cols))
        let ratio: Double = switch function {
        case nil, .original?: (a / b > 1 ? a / b : 1).squareRoot()                       // math.sqrt(max(1, A / B))
        case .matchRMSAdamW?: 0.2 * max(a, b).squareRoot()
        case .spectralUnclamped?: (a / b).squareRoot()
        default: 1.0
        }
        return lr * ratio
    }
}

/// `_zeropower_via_newtonschulz` in bfloat16, each op rounded as torch's CPU kernels round it.
enum NewtonSchulz {
    /// Orthogonalises the `rows × cols` matrix `g` (row-major; a float64 gradient arrives
    /// already rounded to `Float`, as torch's `to(bfloat16)` goes through float32). Returns
    /// bfloat16 values as `Float`s, in `g`'s layout.
    static func orthogonalize(
        _ g: [Float], rows: Int, cols: Int, coefficients: [Double], steps: Int, eps: Double
    ) -> [Float] {
        let (a, b, c) = (Float(coefficients[0]), Float(coefficients[1]), Float(coefficients[2]))
        var x = g.map(BFloat16.round)                                                  // grad.to(bfloat16)
        // The norm runs over memory order, which a transposed view does not change.
        let norm = BFloat16.round(TorchOpsBFloat16.norm(x))
        let divisor = TorchOps.clampMin(norm, BFloat16.round(Float(eps)))               // .clamp(min=eps)
        for i in 0..<x.count { x[i] = BFloat16.round(x[i] / divisor) }                  // ortho_grad.div_(...)
        let tall = rows > cols
        let m = tall ? cols : rows, n = tall ? rows : cols                               // X is m × n, m ≤ n
        if tall { x = transpose(x, rows: rows, cols: cols) }
        for _ in 0..<steps {
            let gram = TorchOpsBFloat16.addmm(nil, x, transpose(x, rows: m, cols: n), m: m, k: n, n: m, beta: 0, alpha: 1)
            let gramUpdate = TorchOpsBFloat16.addmm(gram, gram, gram, m: m, k: m, n: m, beta: b, alpha: c)
            x = TorchOpsBFloat16.addmm(x, gramUpdate, x, m: m, k: m, n: n, beta: a, alpha: 1)
        }
        return tall ? transpose(x, rows: m, cols: n) : x
    }

    static func transpose(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            for c in 0..<cols { out[c * rows + r] = x[r * cols + c] }
        }
        return out
    }
}

/// torch's CPU bfloat16 kernels used by Muon: values are `Float`s holding bfloat16 values.
enum TorchOpsBFloat16 {
    /// `norm()` of a contiguous bfloat16 tensor: float32 accumulation in 8 lanes, each block
    /// of 16 adding element `i` then `i + 8` into lane `i`; the lanes in order; then the tail
    /// in order. Products of bfloat16 values are exact in `Float`. Rounded by the caller.
    static func norm(_ x: [Float]) -> Float {
        let bodyEnd = x.count - x.count % 16
        var acc = [Float](repeating: 0, count: 8)
        var i = 0
        while i < bodyEnd {
            for lane in 0..<8 { acc[lane] = acc[lane] + x[i + lane] * x[i + lane] }
            for lane in 0..<8 { acc[lane] = acc[lane] + x[i + 8 + lane] * x[i + 8 + lane] }
            i += 16
        }
        var sum = acc[0]
        for lane in 1..<8 { sum = sum + acc[lane] }
        for j in bodyEnd..<x.count { sum = sum + x[j] * x[j] }
        return sum.squareRoot()
    }

    /// `addmm(C, A, B, beta, alpha)` in bfloat16 (`A` is m × k, `B` k × n, row-major): each
    /// dot product accumulated in float32 by four accumulators taking `k` in turn (the last
    /// `k mod 4` terms go to the first), summed in order; then `fma(β, C, α·acc)` (without
    /// `C` when it is absent) and one bfloat16 rounding.
    static func addmm(
        _ c: [Float]?, _ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, beta: Float, alpha: Float
    ) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        let body = k - k % 4
        for i in 0..<m {
            for j in 0..<n {
                var acc: (Float, Float, Float, Float) = (0, 0, 0, 0)
                var p = 0
                while p < body {
                    acc.0 = acc.0 + a[i * k + p] * b[p * n + j]
                    acc.1 = acc.1 + a[i * k + p + 1] * b[(p + 1) * n + j]
                    acc.2 = acc.2 + a[i * k + p + 2] * b[(p + 2) * n + j]
                    acc.3 = acc.3 + a[i * k + p + 3] * b[(p + 3) * n + j]
                    p += 4
                }
                for q in body..<k { acc.0 = acc.0 + a[i * k + q] * b[q * n + j] }
                let dot = ((acc.0 + acc.1) + acc.2) + acc.3
                let scaled = alpha * dot
                out[i * n + j] = BFloat16.round(c.map { Float.fma(beta, $0[i * n + j], scaled) } ?? scaled)
            }
        }
        return out
    }
}
