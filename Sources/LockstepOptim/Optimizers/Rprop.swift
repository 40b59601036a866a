/// Rprop, resilient backpropagation: torch's `torch.optim.Rprop`.
///
/// With gradient `g`, parameters `θ`, per-element step sizes `s`, the previous gradient `g′`,
/// etas `η⁻ < 1 < η⁺` and step-size bounds `[s_min, s_max]`:
///
/// ```
/// t ← t + 1
/// g ← −g                                   if maximize
/// f ← η⁺ if g·g′ > 0,  η⁻ if g·g′ < 0,  1 otherwise
/// s ← clamp(s · f, s_min, s_max)
/// g ← 0                                    where f = η⁻
/// θ ← θ − sign(g) · s
/// g′ ← g
/// ```
///
/// Defaults: `lr = 1e-2` (the initial `s`), `etas = (0.5, 1.2)`, `step_sizes = (1e-6, 50)`,
/// `maximize = false`. State: `step`, `prev` (`g′`), `step_size` (`s`).
///
/// Numerics: `_single_tensor_rprop`: `η⁺`, `η⁻`, the bounds and the initial step size are
/// rounded to `Scalar` as torch's tensors hold them; `s · f` is the only rounding, and
/// `θ − sign(g)·s` is exact up to the final rounding. Bit-exact in float32 and float64.
/// A NaN gradient: torch's CPU `sign(NaN)` is 0, so `g·prev = NaN` keeps the step size
/// (factor 1) and the element does not move; `prev` keeps the NaN for one step.
/// The foreach path computes the same values (`maximize` negates `g·g′` instead of `g`).
///
/// `differentiable = true` computes as the for-loop path: torch's branch only clones
/// `prev` before `grad.mul(prev)` (the optim_db goldens of both paths are identical).
///
/// Differs from PyTorch: CPU paths only; `capturable` is rejected.
///
/// References: Riedmiller & Braun, *A Direct Adaptive Method for Faster Backpropagation
/// Learning: The RPROP Algorithm*, ICNN 1993;
/// https://pytorch.org/docs/stable/generated/torch.optim.Rprop.html
public final class Rprop<Scalar: TensorScalar>: PerParameterOptimizer {
    /// `etas`: the factors `(η⁻, η⁺)` by which a step size shrinks and grows; torch's
    /// two-element list.
    public struct Etas: Codable, Sendable, Equatable {
        public var minus: Double
        public var plus: Double

        public init(_ minus: Double, _ plus: Double) {
            self.minus = minus
            self.plus = plus
        }

        public init(from decoder: Decoder) throws { (minus, plus) = try decodePair(decoder, "etas") }
        public func encode(to encoder: Encoder) throws { try encodePair(encoder, minus, plus) }
    }

    /// `step_sizes`: the bounds `(s_min, s_max)` of every step size; torch's two-element list.
    public struct StepSizes: Codable, Sendable, Equatable {
        public var min: Double
        public var max: Double

        public init(_ min: Double, _ max: Double) {
            self.min = min
            self.max = max
        }

        public init(from decoder: Decoder) throws { (min, max) = try decodePair(decoder, "step_sizes") }
        public func encode(to encoder: Encoder) throws { try encodePair(encoder, min, max) }
    }

    /// Rprop's hyperparameters under torch's names.
    public struct Options: OptimizerOptions, TensorLearningRateOptions {
        public var lr: Double
        /// `nil`: `lr` is a Python float; else a 0-dim tensor of this dtype (format extension 16); torch's arithmetic with it is a float's (measured).
        public var lrTensor: TensorDType? = nil
        public var etas: Etas
        public var stepSizes: StepSizes
        public var maximize: Bool
        /// Informational: the multi-tensor path computes the same values on CPU.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// torch's differentiable path, computed as the for-loop path (see the type's
        /// documentation); autograd itself is not part of Lockstep.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, etas: Etas = Etas(0.5, 1.2), stepSizes: StepSizes = StepSizes(1e-6, 50), maximize: Bool = false,
            foreach: Bool? = nil
        ) {
            (self.lr, self.etas, self.stepSizes, self.maximize, self.foreach) = (lr, etas, stepSizes, maximize, foreach)
        }

        public typealias TorchKey = CodingKeys
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, etas, maximize, foreach, capturable, differentiable
            case stepSizes = "step_sizes"
        }
    }

    /// A parameter's state: torch's `step`, `prev` (`g′`), `step_size` (`s`).
    public struct State: TorchState {
        public var step = 0.0
        public var prev: [Scalar] = []
        public var stepSize: [Scalar] = []
        public init() {}
        public static var layout: [StateEntry<Self, Scalar>] {
            [.step(\.step), .tensor("prev", \.prev), .tensor("step_size", \.stepSize)]
        }
    }

    public static var torchName: String { "Rprop" }
    public static var standardDefaults: Options { Options() }
    public var storage: OptimizerStorage<Options, State>
    public init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    public func update(_ group: ParamGroup<Options, Scalar>) throws { try drive(group) }

    /// torch's checks, in torch's order and words (`torch/optim/rprop.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        guard 0.0 < options.etas.minus, options.etas.minus < 1.0, 1.0 < options.etas.plus else {
            throw OptimizerError(
                .valueError, "Invalid eta values: \(pythonRepr(options.etas.minus)), \(pythonRepr(options.etas.plus))")
        }
        try TorchCheck.cpuPathsOnly(capturable: options.capturable, differentiable: options.differentiable)
    }

    public func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        var state = State.zeros(parameterShape: parameter.shape)
        state.stepSize = [Scalar](repeating: Scalar(options.lr), count: parameter.count)  // torch.full_like(grad, lr)
        return state
    }

    /// Rprop's arithmetic does not depend on the CPU capability: no multiply-add.
    public func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (etaMinus, etaPlus) = (Scalar(o.etas.minus), Scalar(o.etas.plus))
        let (lowest, highest) = (Scalar(o.stepSizes.min), Scalar(o.stepSizes.max))
        for i in p.indices {
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            let product = g * p.state.prev[i]                                     // grad.mul(prev).sign()
            let factor: Scalar = product > 0 ? etaPlus : product < 0 ? etaMinus : 1   // torch.sign(NaN) is 0 on CPU
            let stepSize = p.state.stepSize[i] * factor                           // step_size.mul_(sign)
            p.state.stepSize[i] = Swift.min(Swift.max(stepSize, lowest), highest)     //   .clamp_(min, max)
            if factor == etaMinus { g = 0 }                                       // grad[sign.eq(etaminus)] = 0
            p.value[i] = p.value[i] - Self.sign(g) * p.state.stepSize[i]          // addcmul_(grad.sign(), step_size, value=-1)
            p.state.prev[i] = g                                                   // prev.copy_(grad)
        }
    }

    /// `torch.sign`: −1, 0 or 1.
    private static func sign(_ x: Scalar) -> Scalar { x > 0 ? 1 : x < 0 ? -1 : 0 }
}

/// Decodes torch's two-element list (a Python tuple such as `etas`).
private func decodePair(_ decoder: Decoder, _ name: String) throws -> (Double, Double) {
    var container = try decoder.unkeyedContainer()
    let pair = (try container.decode(Double.self), try container.decode(Double.self))
    guard container.isAtEnd else {
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(name) must hold exactly two numbers")
    }
    return pair
}

private func encodePair(_ encoder: Encoder, _ first: Double, _ second: Double) throws {
    var container = encoder.unkeyedContainer()
    try container.encode(first)
    try container.encode(second)
}
