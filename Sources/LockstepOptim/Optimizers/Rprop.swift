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
/// Differs from PyTorch: CPU paths only; `capturable` and `differentiable` are rejected.
///
/// References: Riedmiller & Braun, *A Direct Adaptive Method for Faster Backpropagation
/// Learning: The RPROP Algorithm*, ICNN 1993;
/// https://pytorch.org/docs/stable/generated/torch.optim.Rprop.html
public final class Rprop<Scalar: TensorScalar>: Optimizer {
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
    public struct Options: OptimizerOptions {
        public var lr: Double
        public var etas: Etas
        public var stepSizes: StepSizes
        public var maximize: Bool
        /// Informational: the multi-tensor path computes the same values on CPU.
        public var foreach: Bool?
        /// Rejected when true: torch's capturable path is for accelerators.
        public var capturable = false
        /// Rejected when true.
        public var differentiable = false

        public init(
            lr: Double = 1e-2, etas: Etas = Etas(0.5, 1.2), stepSizes: StepSizes = StepSizes(1e-6, 50), maximize: Bool = false,
            foreach: Bool? = nil
        ) {
            self.lr = lr
            self.etas = etas
            self.stepSizes = stepSizes
            self.maximize = maximize
            self.foreach = foreach
        }

        public typealias TorchKey = CodingKeys

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, etas, maximize, foreach, capturable, differentiable
            case stepSizes = "step_sizes"
        }
    }

    /// A parameter's state: torch's `step`, `prev`, `step_size`.
    public struct State: ParameterState {
        public var step: Double
        public var prev: [Scalar]
        public var stepSize: [Scalar]
        public let shape: [Int]

        static var keys: [String] { ["step", "prev", "step_size"] }

        init(_ parameter: Parameter<Scalar>, lr: Double) {
            shape = parameter.shape
            step = 0
            prev = zeros(like: parameter)
            stepSize = [Scalar](repeating: Scalar(lr), count: parameter.count)  // torch.full_like(grad, lr)
        }

        public var torchState: [String: StateValue<Scalar>] {
            ["step": .scalar(step), "prev": .tensor(shape: shape, values: prev),
             "step_size": .tensor(shape: shape, values: stepSize)]
        }

        public init(torchState: [String: StateValue<Scalar>], parameterShape: [Int]) throws {
            let entries = try TorchStateEntries(torchState, shape: parameterShape, optimizer: "Rprop", keys: Self.keys)
            step = try entries.number("step")
            prev = try entries.tensor("prev")
            stepSize = try entries.tensor("step_size")
            shape = parameterShape
        }
    }

    public static var torchName: String { "Rprop" }
    public let defaults: Options
    public var storage = OptimizerStorage<Options, State>()
    /// The CPU capability torch ran with; Rprop's arithmetic does not depend on it.
    public var cpuCapability: TorchCPUCapability

    /// Creates the optimizer over `groups`; each group's options default to `defaults`.
    public init(
        groups: [ParamGroup<Options, Scalar>], defaults: Options = Options(), cpuCapability: TorchCPUCapability = .avx512
    ) throws {
        try Self.validate(defaults)
        self.defaults = defaults
        self.cpuCapability = cpuCapability
        try initializeGroups(groups)
    }

    /// Creates the optimizer over one group of `params` with the given hyperparameters.
    public convenience init(
        _ params: [Parameter<Scalar>], lr: Double = Options().lr, etas: Etas = Options().etas,
        stepSizes: StepSizes = Options().stepSizes, maximize: Bool = Options().maximize
    ) throws {
        let options = Options(lr: lr, etas: etas, stepSizes: stepSizes, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, options: options)], defaults: options)
    }

    /// torch's checks, in torch's order and words (`torch/optim/rprop.py`).
    public static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        guard 0.0 < options.etas.minus, options.etas.minus < 1.0, 1.0 < options.etas.plus else {
            throw OptimizerError(
                .valueError, "Invalid eta values: \(pythonRepr(options.etas.minus)), \(pythonRepr(options.etas.plus))")
        }
        try rejectNonCPUPaths(capturable: options.capturable, differentiable: options.differentiable)
    }

    public static func stateKeys(for options: Options) -> [String] { State.keys }

    public func update(_ group: ParamGroup<Options, Scalar>) throws {
        let o = group.options
        let (etaMinus, etaPlus) = (Scalar(o.etas.minus), Scalar(o.etas.plus))
        let (lowest, highest) = (Scalar(o.stepSizes.min), Scalar(o.stepSizes.max))
        forEachParameterWithGradient(in: group, newState: { State($0, lr: o.lr) }) { parameter, grad, state in
            state.step = torchStepIncrement(state.step)
            for i in 0..<parameter.count {
                var g = o.maximize ? -grad[i] : grad[i]
                let product = g * state.prev[i]                                   // grad.mul(prev).sign()
                let factor: Scalar = product > 0 ? etaPlus : product < 0 ? etaMinus : 1   // torch.sign(NaN) is 0 on CPU
                let stepSize = state.stepSize[i] * factor                         // step_size.mul_(sign)
                state.stepSize[i] = Swift.min(Swift.max(stepSize, lowest), highest)   //   .clamp_(min, max)
                if factor == etaMinus { g = 0 }                                   // grad[sign.eq(etaminus)] = 0
                parameter.value[i] = parameter.value[i] - Self.sign(g) * state.stepSize[i]  // addcmul_(grad.sign(), step_size, value=-1)
                state.prev[i] = g                                                 // prev.copy_(grad)
            }
        }
    }

    /// `torch.sign`: −1, 0 or 1.
    private static func sign(_ x: Scalar) -> Scalar { x > 0 ? 1 : x < 0 ? -1 : 0 }
}

extension Rprop: TorchConstructible, CPUCapabilityDependent {
    public static var standardDefaults: Options { Options() }
    public convenience init(groups: [ParamGroup<Options, Scalar>], defaults: Options) throws {
        try self.init(groups: groups, defaults: defaults, cpuCapability: .avx512)
    }
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
