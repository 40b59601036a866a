import Foundation
import LockstepOptim
import Testing

/// One optimizer under test: its float32 and float64 types, the hyperparameters its laws run
/// with, and what sets it apart (how it takes gradients, whether it has `maximize`, how torch
/// propagates a nonfinite gradient through it).
///
/// ```swift
/// let lion = OptimizerUnderTest(
///     Lion<Float>.self, Lion<Double>.self, hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#,
///     poison: .finite)
/// await expectOptimizerLaws(lion)
/// ```
///
/// Pick hyperparameters that switch on the optimizer's optional paths (weight decay,
/// momentum, ...): the laws only see the paths the hyperparameters take.
public struct OptimizerUnderTest: Sendable, CustomTestStringConvertible {
    /// How the optimizer takes gradients.
    public enum Gradients: Sendable, Equatable {
        /// Dense gradients, set before each `step()`.
        case dense
        /// Sparse gradients (`Parameter.setGrad(_:sparseMask:)`), as torch's `SparseAdam`
        /// takes them; a poisoned element is always one the gradient holds.
        case sparse
        /// A closure that recomputes the loss and gradients, called by `step(closure:)` as
        /// the algorithm needs (torch's `LBFGS`): the loss is the quadratic
        /// f(θ) = Σ ½·aᵢ(θᵢ − cᵢ)², aᵢ = ½ + |gᵢ|, with `c` and `g` drawn with the case.
        case closure
    }

    /// What a NaN or ±∞ put into one gradient element at one step leaves in the parameters
    /// after the last step, as torch propagates it.
    ///
    /// The law compares the class of every element (finite, NaN, +∞, −∞) with the rule's.
    /// Every rule but ``someNaN`` also requires every parameter that was not poisoned to
    /// stay finite. The rules of Lockstep's optimizers were measured with torch 2.15 over
    /// random shapes, positions and steps (float32 and float64); measure yours the same way
    /// on your torch reference.
    public enum PoisonRule: Sendable, Equatable {
        /// Only the poisoned element becomes NaN (∞ meets ∞ or 0 in a moment ratio): the Adam
        /// family, Adagrad, Adadelta, Adamax, RMSprop.
        case element
        /// The poisoned element becomes ∓∞ for ±∞ if the poisoned step is the last one; a
        /// later step meets −∞ with +∞ (weight decay against momentum / averaging): NaN. NaN
        /// for NaN. SGD with momentum and weight decay, ASGD.
        case signedInfinityUntilDecayed
        /// The poisoned element becomes ∓∞ for ±∞ and stays so; NaN for NaN (SGD with
        /// Nesterov momentum and no weight decay).
        case signedInfinity
        /// RAdam: ∓∞ if the poisoned step is the last and not rectified (ρₜ ≤ 5, an SGD-like
        /// step), else NaN.
        case rectified(beta2: Double)
        /// Rprop: torch's `sign(NaN)` is 0 and a step's size factor for `g·prev = NaN` is 1,
        /// so the poisoned element is not moved and every parameter stays finite (the law
        /// checks the latter, as ``finite``).
        case absorbed
        /// Every parameter stays finite, the poisoned one included: a sign-based update. Lion
        /// (Chen et al. 2023: c = β₁m + (1−β₁)g; θ ← θ·(1−γλ) − γ·sign(c);
        /// m ← β₂m + (1−β₂)g) with torch's CPU `sign(NaN) = 0`: a NaN gradient leaves the
        /// element moved by its decay only, at that step and every later one (m stays NaN,
        /// so sign(c) stays 0); a ±∞ gradient moves it by ∓γ, and later steps too (m stays ±∞).
        case finite
        /// Muon: the Newton–Schulz iteration spreads it over the whole tensor: all NaN.
        case wholeTensor
        /// Adafactor (β₂ decay −0.8): a vector as ``element``; a matrix is all NaN for NaN,
        /// or for ±∞ at a step `t` with lerp weight `t^−0.8 ≥ 0.5` (lerp's second branch
        /// computes ∞ − ∞) or with later steps; otherwise NaN along the poisoned row and column
        /// (the factored variance divides ∞ by ∞ there) and finite elsewhere.
        case factored
        /// LBFGS: no rule; the poison reaches only its element or the whole flat vector,
        /// depending on the history and the line search. The poisoned parameter holds a NaN
        /// (other parameters are not checked). torch's strong-Wolfe search fails on a NaN
        /// loss in a one-point bracket with an `IndexError`, which this rule accepts.
        case someNaN
    }

    /// How the optimizer is named in test cases and issues.
    public let name: String
    /// The hyperparameters every law runs with, as torch's param-group JSON over the
    /// optimizer's `standardDefaults`.
    public let hyperparameters: String
    /// How the optimizer takes gradients.
    public let gradients: Gradients
    /// The optimizer takes 2-D parameters only (torch's Muon): every generated parameter is
    /// a matrix.
    public let matricesOnly: Bool
    /// The optimizer has torch's `maximize` hyperparameter (the maximize law runs).
    public let hasMaximize: Bool
    /// The optimizer takes more than one param group (the group-split law runs, and the
    /// state-dict law splits its parameters into groups). torch's LBFGS takes exactly one.
    public let supportsGroups: Bool
    /// The optimizer creates every parameter's state at construction (torch's Adagrad:
    /// `step` 0, `sum` filled), not at its first step with a gradient.
    public let stateAtConstruction: Bool
    /// The optimizer keeps its whole state on the first parameter (torch's LBFGS): the
    /// missing-gradient law expects state there and nowhere else.
    public let stateOnFirstParameter: Bool
    /// How torch propagates a nonfinite gradient element.
    public let poison: PoisonRule
    /// |θ₃₂ − θ₆₄| ≤ tolerance · max(1, |θ₆₄|) after the case's steps, run from the same
    /// float32-representable values and gradients (widened for a case ill-conditioned at
    /// float32's resolution: ``OptimizerLaw/float32AgreesWithFloat64``).
    public let float32Tolerance: Double
    /// Hyperparameters set in both runs of the float32 ≈ float64 law (JSON, applied over
    /// ``hyperparameters``): a default that depends on the dtype, pinned to its float32
    /// value (Adafactor's ε₁), or a path whose branches rounding decides, left out (LBFGS's
    /// strong Wolfe search).
    public let crossDtypeOverrides: String?
    private let makeFloat: @Sendable ([[Parameter<Float>]], Bool, String?) throws -> AnyOptimizer<Float>
    private let makeDouble: @Sendable ([[Parameter<Double>]], Bool, String?) throws -> AnyOptimizer<Double>

    public var testDescription: String { name }

    /// Describes the optimizer `F` (float32) and `D` (float64), usually one generic type:
    /// `Lion<Float>.self, Lion<Double>.self`.
    ///
    /// - Parameters:
    ///   - float: `F`, the optimizer in float32.
    ///   - double: `D`, the optimizer in float64.
    ///   - name: how the case is named; by default the torch name and the hyperparameters.
    ///   - hyperparameters: torch's param-group JSON, over `standardDefaults`.
    ///   - gradients: how the optimizer takes gradients, see ``Gradients``; `.dense` by default.
    ///   - matricesOnly: every generated parameter is a matrix, see ``matricesOnly``.
    ///   - hasMaximize: by default, whether `Options.TorchKey` has `maximize`.
    ///   - supportsGroups: the optimizer takes more than one param group, see ``supportsGroups``.
    ///   - stateAtConstruction: the optimizer creates every state at construction, see
    ///     ``stateAtConstruction``.
    ///   - stateOnFirstParameter: the optimizer keeps its whole state on the first parameter, see
    ///     ``stateOnFirstParameter``.
    ///   - poison: see ``PoisonRule``; `.element` (the Adam family's) by default.
    ///   - float32Tolerance: relative, see ``float32Tolerance``.
    ///   - crossDtypeOverrides: see ``crossDtypeOverrides``.
    public init<F: Optimizer, D: Optimizer>(
        _: F.Type, _: D.Type, name: String? = nil, hyperparameters: String = "{}", gradients: Gradients = .dense,
        matricesOnly: Bool = false, hasMaximize: Bool? = nil, supportsGroups: Bool = true,
        stateAtConstruction: Bool = false, stateOnFirstParameter: Bool = false, poison: PoisonRule = .element,
        float32Tolerance: Double = 2e-5, crossDtypeOverrides: String? = nil
    ) where F.Scalar == Float, D.Scalar == Double, F: SendableMetatype, D: SendableMetatype {
        self.name = name ?? "\(F.torchName) \(hyperparameters)"
        self.hyperparameters = hyperparameters
        self.gradients = gradients
        self.matricesOnly = matricesOnly
        self.hasMaximize = hasMaximize ?? F.Options.TorchKey.allCases.contains { $0.stringValue == "maximize" }
        self.supportsGroups = supportsGroups
        self.stateAtConstruction = stateAtConstruction
        self.stateOnFirstParameter = stateOnFirstParameter
        self.poison = poison
        self.float32Tolerance = float32Tolerance
        self.crossDtypeOverrides = crossDtypeOverrides
        makeFloat = Self.builder(F.self, hyperparameters)
        makeDouble = Self.builder(D.self, hyperparameters)
    }

    private static func builder<O: Optimizer & SendableMetatype>(
        _: O.Type, _ json: String
    ) -> @Sendable ([[Parameter<O.Scalar>]], Bool, String?) throws -> AnyOptimizer<O.Scalar> {
        { groups, maximize, overrides in
            func applying(_ json: String, over defaults: O.Options) throws -> O.Options {
                try O.Options.fromTorchJSON(Data(json.utf8), defaults: defaults, optimizer: O.torchName)
            }
            var options = try applying(json, over: O.standardDefaults)
            if maximize { options = try applying(#"{"maximize": true}"#, over: options) }
            if let overrides { options = try applying(overrides, over: options) }
            return AnyOptimizer(try O(groups: groups.map { ParamGroup(params: $0, options: options) }, defaults: options))
        }
    }

    /// Builds the optimizer of dtype `S` (`Float` or `Double`) over `groups`, each with
    /// ``hyperparameters``, `maximize` set when asked, and `overrides` (JSON) applied over them.
    ///
    /// - Throws: the optimizer's errors for the hyperparameters or the parameters.
    public func make<S: TensorScalar>(
        _ groups: [[Parameter<S>]], maximize: Bool = false, overrides: String? = nil
    ) throws -> AnyOptimizer<S> {
        if let groups = groups as? [[Parameter<Float>]] { return try makeFloat(groups, maximize, overrides) as! AnyOptimizer<S> }
        guard let groups = groups as? [[Parameter<Double>]] else {
            preconditionFailure("an OptimizerUnderTest holds float32 and float64 optimizers, not \(S.self)")
        }
        return try makeDouble(groups, maximize, overrides) as! AnyOptimizer<S>
    }
}

/// An optimizer of any type over parameters of `S`, behind closures: what
/// ``OptimizerUnderTest/make(_:maximize:overrides:)`` builds.
public struct AnyOptimizer<S: TensorScalar> {
    private let stepBody: () throws -> Void
    private let closureStepBody: (() throws -> Double) throws -> Double
    private let stateBody: (Parameter<S>) -> [String: StateValue<S>]?
    private let stateDictBody: () -> Any
    private let loadStateDictBody: (Any) throws -> Void

    /// Wraps `optimizer`.
    public init<O: Optimizer>(_ optimizer: O) where O.Scalar == S {
        stepBody = { try optimizer.step() }
        closureStepBody = { try optimizer.step(closure: $0) }
        stateBody = { optimizer.state(of: $0) }
        stateDictBody = { optimizer.stateDict() }
        loadStateDictBody = {
            guard let dict = $0 as? StateDict<O.Options, S> else {
                throw OptimizerError(.typeError, "\(O.torchName) cannot load a state dict of type \(type(of: $0))")
            }
            try optimizer.loadStateDict(dict)
        }
    }

    /// `Optimizer.step()`.
    public func step() throws { try stepBody() }

    /// `Optimizer.step(closure:)`: returns the loss.
    @discardableResult
    public func step(closure: () throws -> Double) throws -> Double { try closureStepBody(closure) }

    /// The state of `parameter` under torch's keys, or `nil` when it has none.
    public func state(of parameter: Parameter<S>) -> [String: StateValue<S>]? { stateBody(parameter) }

    /// The optimizer's `StateDict`, to load into an optimizer of the same type.
    public func stateDict() -> Any { stateDictBody() }

    /// Loads what ``stateDict()`` of an optimizer of the same type returned.
    public func loadStateDict(_ dict: Any) throws { try loadStateDictBody(dict) }
}
