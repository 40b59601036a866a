import Foundation
import LockstepOptim
import PropertyBased
import Testing

/// A law every optimizer keeps, whatever its update: checked as a property test over random
/// training problems (1–3 parameters of up to 4×5, 1–8 steps, gradients scaled by 2⁻⁸…2²),
/// in float32 and in float64.
///
/// A failing case is shrunk (fewer parameters and steps, pool entries towards zero), for at
/// most ``PropertyBudget/shrinkAttempts`` runs, and reported with the `.fixedSeed("…")` trait
/// that replays it: add it to the test to reproduce the failure.
public enum OptimizerLaw: String, Sendable, CaseIterable, CustomTestStringConvertible {
    /// `maximize = true` gives bit for bit the parameters (and states) of stepping on the
    /// negated gradient (and the negated loss, for a closure).
    case maximizeEqualsNegatedGradient
    /// Splitting the parameters into several groups with identical hyperparameters changes
    /// no parameter and no state, bit for bit.
    case groupSplitChangesNothing
    /// A parameter that never has a gradient keeps its value and gets no state (or keeps
    /// the state made at construction; with the state on the first parameter, only that
    /// one has state). At a step where a parameter has no gradient, its value and state do
    /// not change (not checked for a closure-driven optimizer: LBFGS's quasi-Newton direction
    /// mixes in the history of every parameter, as torch's does). A closure-driven
    /// optimizer's parameters all have gradients but the one that never has.
    case parameterWithoutGradientUntouched
    /// A state dict saved at step k and loaded into a fresh optimizer (parameters copied)
    /// holds the same state, and continues bit-identically with the optimizer that never
    /// stopped; parameters are split into groups where the optimizer takes groups.
    case stateDictRoundTripContinues
    /// float32 and float64 runs from the same float32-representable values and gradients
    /// agree within ``OptimizerUnderTest/float32Tolerance`` — or, for a case ill-conditioned
    /// at float32's resolution, within 8 times the most that nudging the case's values or
    /// gradients by one float32 ulp moves the float64 run (measured only for a case beyond
    /// the tolerance: four more float64 runs).
    ///
    /// The second clause is torch's behaviour, not a licence for rounding errors: L2 weight
    /// decay `g + λθ` can cancel to ~1e-8, where float32's rounding of `λθ` alone changes the
    /// sum by a tenth, and a first step that divides by `|g + λθ| + ε` (ε = 1e-8) passes that
    /// tenth on to the parameter. A soak of 300 000 cases per optimizer found it once for
    /// Adam with amsgrad (`g + 0.1θ` = −1.77e-8 in float32, −1.64e-8 in float64; parameters
    /// 1.8e-4 apart) and twice for RMSprop centered (√(v − m²) + ε, 1.0e-4 and 8.5e-5), and
    /// torch 2.15's own float32 and float64 runs are as far apart on those cases (checked). A
    /// float32 path that computes something else than the float64 one still fails: its
    /// difference does not follow from the inputs' rounding (Adafactor's dtype-dependent ε₁
    /// is one).
    case float32AgreesWithFloat64
    /// A NaN or ±∞ put into one gradient element at one step reaches the parameters as the
    /// ``OptimizerUnderTest/PoisonRule`` says torch carries it.
    case nonfiniteGradientPropagatesAsTorch

    /// The law in one sentence.
    public var summary: String {
        switch self {
        case .maximizeEqualsNegatedGradient: "maximize equals stepping on the negated gradient, bit for bit"
        case .groupSplitChangesNothing: "splitting parameters into groups with identical hyperparameters changes nothing"
        case .parameterWithoutGradientUntouched: "a parameter without a gradient is not touched and gets no state"
        case .stateDictRoundTripContinues:
            "a state dict saved at step k and loaded into a fresh optimizer continues bit-identically"
        case .float32AgreesWithFloat64: "float32 and float64 runs agree within float32 tolerance"
        case .nonfiniteGradientPropagatesAsTorch: "NaN or infinity in a gradient propagates as torch propagates it"
        }
    }

    public var testDescription: String { summary }

    /// Whether the law holds for `entry` at all: the maximize law needs `maximize`, the
    /// group-split law more than one group.
    public func applies(to entry: OptimizerUnderTest) -> Bool {
        switch self {
        case .maximizeEqualsNegatedGradient: entry.hasMaximize
        case .groupSplitChangesNothing: entry.supportsGroups
        default: true
        }
    }
}

/// Checks every optimizer law (``OptimizerLaw``) that applies on the optimizer `F`
/// (float32) and `D` (float64), each law as a property test of `cases` generated training
/// problems; issues are recorded at `sourceLocation`, each naming the optimizer and the law,
/// and a failing case is shrunk and reported with the `.fixedSeed("…")` that replays it.
/// Hyperparameters the optimizer rejects are one issue, and no law runs.
///
/// ```swift
/// @Test func lionKeepsTheOptimizerLaws() async {
///     await expectOptimizerLaws(
///         Lion<Float>.self, Lion<Double>.self, hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#,
///         poison: .finite)
/// }
/// ```
///
/// The parameters from `name` to `crossDtypeOverrides`, what sets an optimizer apart, are
/// ``OptimizerUnderTest``'s (its initializer and properties document them).
///
/// - Parameters:
///   - float: `F`, the optimizer in float32.
///   - double: `D`, the optimizer in float64.
///   - name: how the optimizer is named in issues (``OptimizerUnderTest/name``).
///   - hyperparameters: torch's param-group JSON every law runs with
///     (``OptimizerUnderTest/hyperparameters``).
///   - gradients: how the optimizer takes gradients (``OptimizerUnderTest/Gradients``).
///   - matricesOnly: every generated parameter is a matrix (``OptimizerUnderTest/matricesOnly``).
///   - hasMaximize: the optimizer has `maximize` (``OptimizerUnderTest/hasMaximize``); by default,
///     whether its options have it.
///   - supportsGroups: the optimizer takes more than one param group
///     (``OptimizerUnderTest/supportsGroups``).
///   - stateAtConstruction: the optimizer creates every state at construction
///     (``OptimizerUnderTest/stateAtConstruction``).
///   - stateOnFirstParameter: the optimizer keeps its whole state on the first parameter
///     (``OptimizerUnderTest/stateOnFirstParameter``).
///   - poison: how torch propagates a nonfinite gradient element
///     (``OptimizerUnderTest/PoisonRule``).
///   - float32Tolerance: the float32 ≈ float64 law's relative tolerance
///     (``OptimizerUnderTest/float32Tolerance``).
///   - crossDtypeOverrides: hyperparameters set in both runs of the float32 ≈ float64 law
///     (``OptimizerUnderTest/crossDtypeOverrides``).
///   - laws: the laws to check; one that does not apply (``OptimizerLaw/applies(to:)``) is skipped.
///   - cases: generated cases per law, multiplied by `LOCKSTEP_PROPERTY_SCALE` (``PropertyBudget``).
///   - sourceLocation: where issues are recorded; the caller's by default.
public func expectOptimizerLaws<F: Optimizer, D: Optimizer>(
    _ float: F.Type, _ double: D.Type, name: String? = nil, hyperparameters: String = "{}",
    gradients: OptimizerUnderTest.Gradients = .dense, matricesOnly: Bool = false, hasMaximize: Bool? = nil,
    supportsGroups: Bool = true, stateAtConstruction: Bool = false, stateOnFirstParameter: Bool = false,
    poison: OptimizerUnderTest.PoisonRule = .element, float32Tolerance: Double = 2e-5, crossDtypeOverrides: String? = nil,
    laws: [OptimizerLaw] = OptimizerLaw.allCases, cases: Int = 100, sourceLocation: SourceLocation = #_sourceLocation
) async where F.Scalar == Float, D.Scalar == Double, F: SendableMetatype, D: SendableMetatype {
    let entry = OptimizerUnderTest(
        float, double, name: name, hyperparameters: hyperparameters, gradients: gradients, matricesOnly: matricesOnly,
        hasMaximize: hasMaximize, supportsGroups: supportsGroups, stateAtConstruction: stateAtConstruction,
        stateOnFirstParameter: stateOnFirstParameter, poison: poison, float32Tolerance: float32Tolerance,
        crossDtypeOverrides: crossDtypeOverrides)
    await expectOptimizerLaws(entry, laws: laws, cases: cases, sourceLocation: sourceLocation)
}

/// Checks the `laws` that apply to `entry` (every one by default), each as a property test
/// of `cases` generated training problems (times `LOCKSTEP_PROPERTY_SCALE`); issues are
/// recorded at `sourceLocation`, each naming the optimizer and the law. Invalid
/// hyperparameters are one issue, and no law runs.
public func expectOptimizerLaws(
    _ entry: OptimizerUnderTest, laws: [OptimizerLaw] = OptimizerLaw.allCases, cases: Int = 100,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    let count = PropertyBudget.cases(cases, sourceLocation: sourceLocation)
    guard entry.isBuildable(sourceLocation: sourceLocation) else { return }
    for law in laws where law.applies(to: entry) {
        await law.check(entry, cases: count, sourceLocation: sourceLocation)
    }
}

/// Checks one law on `entry` as a property test of `cases` generated training problems
/// (times `LOCKSTEP_PROPERTY_SCALE`); a law that does not apply to `entry` is an issue.
///
/// Lockstep's own tests run every law over a table of optimizers, one test case per pair:
///
/// ```swift
/// static let pairs = OptimizerLaw.allCases.flatMap { law in optimizers.filter(law.applies).map { (law, $0) } }
///
/// @Test(arguments: pairs)
/// func optimizerKeepsLaw(_ law: OptimizerLaw, _ entry: OptimizerUnderTest) async {
///     await expectOptimizerLaw(law, entry)
/// }
/// ```
public func expectOptimizerLaw(
    _ law: OptimizerLaw, _ entry: OptimizerUnderTest, cases: Int = 100, sourceLocation: SourceLocation = #_sourceLocation
) async {
    let count = PropertyBudget.cases(cases, sourceLocation: sourceLocation)
    guard law.applies(to: entry) else {
        let reason = law == .maximizeEqualsNegatedGradient ? "it has no maximize" : "it does not take more than one group"
        Issue.record("\(entry.name): \(law.rawValue) does not apply: \(reason)", sourceLocation: sourceLocation)
        return
    }
    guard entry.isBuildable(sourceLocation: sourceLocation) else { return }
    await law.check(entry, cases: count, sourceLocation: sourceLocation)
}

extension OptimizerUnderTest {
    /// Builds the optimizer in both dtypes over one matrix, as every law will (with
    /// `maximize` where it has it, and with the cross-dtype overrides): invalid
    /// hyperparameters are one issue, not one per law and generated case.
    fileprivate func isBuildable(sourceLocation: SourceLocation) -> Bool {
        func build<S: TensorScalar>(_: S.Type) throws {
            let parameter = { try Parameter<S>(shape: [2, 3], value: [0.5, -1, 2, 0.25, 0, 3]) }
            _ = try make([[parameter()]])
            if hasMaximize { _ = try make([[parameter()]], maximize: true) }
            if let crossDtypeOverrides { _ = try make([[parameter()]], overrides: crossDtypeOverrides) }
        }
        do {
            try build(Float.self)
            try build(Double.self)
            return true
        } catch {
            Issue.record(error, "\(name): the optimizer cannot be built with \(hyperparameters)", sourceLocation: sourceLocation)
            return false
        }
    }
}

// MARK: The laws

/// What a law records issues with: the optimizer's and the law's name, at the caller's
/// source location.
private struct LawRecorder {
    let entry: OptimizerUnderTest
    let law: OptimizerLaw
    let sourceLocation: SourceLocation

    func comment(_ detail: String) -> Comment { Comment(rawValue: "\(entry.name), \(law.rawValue): \(detail)") }
    var prefix: String { "\(entry.name), \(law.rawValue): " }

    /// A property test of `cases` generated training problems, its shrinking bounded
    /// (``boundedPropertyCheck(count:input:shrinkAttempts:perform:isolation:sourceLocation:)``).
    func property(_ cases: Int, _ body: (TrainingCase) throws -> Void) async {
        await boundedPropertyCheck(
            count: cases, input: TrainingCase.generator(), perform: { c in guarded { try body(c) } },
            sourceLocation: sourceLocation)
    }

    /// A property test of `cases` generated training problems, each checked in float32
    /// then in float64.
    func property<Law: LawInBothDtypes>(_ cases: Int, _: Law.Type) async {
        await property(cases) { c in
            try Law.check(Float.self, c, self)
            try Law.check(Double.self, c, self)
        }
    }

    /// Runs `body`; an error it throws is an issue.
    func guarded(_ body: () throws -> Void) {
        do {
            try body()
        } catch {
            Issue.record(error, comment("threw"), sourceLocation: sourceLocation)
        }
    }
}

/// A law checked on each generated case in float32, then in float64
/// (`LawRecorder.property(_:_:)`): `check` runs it in one dtype.
private protocol LawInBothDtypes {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ r: LawRecorder) throws
}

extension OptimizerLaw {
    fileprivate func check(_ entry: OptimizerUnderTest, cases: Int, sourceLocation: SourceLocation) async {
        let r = LawRecorder(entry: entry, law: self, sourceLocation: sourceLocation)
        switch self {
        case .maximizeEqualsNegatedGradient: await r.property(cases, MaximizeEqualsNegatedGradient.self)
        case .groupSplitChangesNothing: await r.property(cases, GroupSplitChangesNothing.self)
        case .parameterWithoutGradientUntouched: await r.property(cases, ParameterWithoutGradientUntouched.self)
        case .stateDictRoundTripContinues: await r.property(cases, StateDictRoundTripContinues.self)
        case .float32AgreesWithFloat64: await r.property(cases) { c in try Float32AgreesWithFloat64.check(c, r) }
        case .nonfiniteGradientPropagatesAsTorch:
            await boundedPropertyCheck(
                count: cases, input: TrainingCase.generator(), Poison.generator,
                perform: { c, poison in
                    r.guarded {
                        try NonfiniteGradientPropagatesAsTorch.check(Float.self, c, poison, r)
                        try NonfiniteGradientPropagatesAsTorch.check(Double.self, c, poison, r)
                    }
                }, sourceLocation: sourceLocation)
        }
    }
}

/// ``OptimizerLaw/maximizeEqualsNegatedGradient``.
private enum MaximizeEqualsNegatedGradient: LawInBothDtypes {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ r: LawRecorder) throws {
        let maximized = try Trainer<S>(r.entry, c, maximize: true)
        try maximized.run()
        let negated = try Trainer<S>(r.entry, c)
        negated.negate = true
        try negated.run()
        expectBitIdentical(
            maximized.values, negated.values, r.prefix + "maximize vs negated gradient", sourceLocation: r.sourceLocation)
    }
}

/// ``OptimizerLaw/groupSplitChangesNothing``.
private enum GroupSplitChangesNothing: LawInBothDtypes {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ r: LawRecorder) throws {
        let one = try Trainer<S>(r.entry, c)
        try one.run()
        let split = try Trainer<S>(r.entry, c, groupsSplit: true)
        try split.run()
        expectBitIdentical(one.values, split.values, r.prefix + "one group vs split groups", sourceLocation: r.sourceLocation)
        #expect(
            zip(one.states, split.states).allSatisfy { bitIdentical($0, $1) }, r.comment("states differ (\(S.self))"),
            sourceLocation: r.sourceLocation)
    }
}

/// ``OptimizerLaw/parameterWithoutGradientUntouched``.
private enum ParameterWithoutGradientUntouched: LawInBothDtypes {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ r: LawRecorder) throws {
        let entry = r.entry
        let trainer = try Trainer<S>(entry, c)
        let lonely = c.pick % c.shapes.count
        trainer.withoutGradient = lonely
        // A closure's gradients are the loss's: every parameter but the lonely one has one.
        if entry.gradients != .closure { trainer.gaps = { step, p in c.gap(step: step, p) } }
        let initial = trainer.values[lonely]
        let constructed = trainer.optimizer.state(of: trainer.params[lonely])
        #expect(
            entry.stateAtConstruction == (constructed != nil),
            r.comment("state at construction (\(S.self)): \(String(describing: constructed))"), sourceLocation: r.sourceLocation)
        for step in 0..<c.steps {
            let (before, statesBefore) = (trainer.values, trainer.states)
            try trainer.run(step..<(step + 1))
            for p in trainer.params.indices where !trainer.hasGradient(step: step, p) && entry.gradients != .closure {
                expectBitIdentical(
                    [trainer.values[p]], [before[p]], r.prefix + "step \(step): parameter \(p) without gradient moved",
                    sourceLocation: r.sourceLocation)
                #expect(
                    bitIdentical(trainer.states[p], statesBefore[p]),
                    r.comment("step \(step): state of parameter \(p) without gradient changed (\(S.self))"),
                    sourceLocation: r.sourceLocation)
            }
        }
        expectBitIdentical(
            [trainer.values[lonely]], [initial], r.prefix + "parameter \(lonely) never given a gradient moved",
            sourceLocation: r.sourceLocation)
        if entry.stateOnFirstParameter {
            #expect(
                trainer.states.enumerated().allSatisfy { ($1 != nil) == ($0 == 0) },
                r.comment("state on parameter 0 only (\(S.self))"), sourceLocation: r.sourceLocation)
        } else {
            #expect(
                bitIdentical(trainer.states[lonely], constructed),
                r.comment(
                    "parameter \(lonely) without gradient has state (\(S.self)): \(String(describing: trainer.states[lonely]))"),
                sourceLocation: r.sourceLocation)
        }
    }
}

/// ``OptimizerLaw/stateDictRoundTripContinues``.
private enum StateDictRoundTripContinues: LawInBothDtypes {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ r: LawRecorder) throws {
        let entry = r.entry
        let k = c.pick % (c.steps + 1)
        let gaps: (Int, Int) -> Bool = entry.gradients == .closure ? { _, _ in false } : { c.gap(step: $0, $1) }
        let reference = try Trainer<S>(entry, c, groupsSplit: entry.supportsGroups)
        reference.gaps = gaps
        try reference.run()
        let first = try Trainer<S>(entry, c, groupsSplit: entry.supportsGroups)
        first.gaps = gaps
        try first.run(0..<k)
        let second = try Trainer<S>(entry, c, groupsSplit: entry.supportsGroups)
        second.gaps = gaps
        for (p, q) in zip(second.params, first.params) { try p.setValue(q.value) }
        try second.optimizer.loadStateDict(first.optimizer.stateDict())
        #expect(
            zip(second.states, first.states).allSatisfy { bitIdentical($0, $1) },
            r.comment("loaded state differs from saved at step \(k) (\(S.self))"), sourceLocation: r.sourceLocation)
        try second.run(k..<c.steps)
        expectBitIdentical(
            second.values, reference.values, r.prefix + "resumed at step \(k) vs uninterrupted", sourceLocation: r.sourceLocation)
        #expect(
            zip(second.states, reference.states).allSatisfy { bitIdentical($0, $1) },
            r.comment("final states differ, resumed at step \(k) (\(S.self))"), sourceLocation: r.sourceLocation)
    }
}

/// ``OptimizerLaw/float32AgreesWithFloat64``: both runs from the same float32-representable
/// case, within the tolerance, or within the case's own sensitivity where that is larger.
enum Float32AgreesWithFloat64 {
    /// κ: an ill-conditioned case's float32 run may differ from its float64 run by κ times the
    /// most a float64 run from its nudged inputs does. Every rounding of a float32 run is such
    /// a nudge of some intermediate value, and eight steps make several.
    static let conditioningFactor = 8.0

    /// The comparison of one case's float32 and float64 runs.
    struct Comparison {
        /// For each parameter, max |θ₃₂ − θ₆₄| / max(1, |θ₆₄|) (∞ where one run is nonfinite
        /// and the other is not, or is another nonfinite value).
        var differences: [Double]
        /// The largest such difference between the float64 run and a float64 run from the
        /// case's inputs nudged by one float32 ulp (``TrainingCase/Nudge``); measured only for
        /// a case that exceeds the tolerance.
        var sensitivity: Double?
        /// max(tolerance, κ · sensitivity): what the law allows.
        var bound: Double
    }

    /// Runs `c` (rounded to float32) in both dtypes, and measures the float64 run's
    /// sensitivity where some difference exceeds the tolerance.
    static func compare(_ entry: OptimizerUnderTest, _ c: TrainingCase) throws -> Comparison {
        let c = c.roundedToFloat32
        let single = try Trainer<Float>(entry, c, overrides: entry.crossDtypeOverrides)
        try single.run()
        let double = try runDouble(entry, c)
        let differences = zip(single.values, double).map { relativeDifference($0.map(Double.init), $1) }
        let tolerance = entry.float32Tolerance
        guard differences.contains(where: { !($0 <= tolerance) }) else {
            return Comparison(differences: differences, sensitivity: nil, bound: tolerance)
        }
        var sensitivity = 0.0
        for nudge in TrainingCase.Nudge.allCases {
            let moved = try runDouble(entry, c.nudged(nudge))
            sensitivity = max(sensitivity, zip(moved, double).map { relativeDifference($0, $1) }.max() ?? 0)
        }
        return Comparison(
            differences: differences, sensitivity: sensitivity, bound: max(tolerance, conditioningFactor * sensitivity))
    }

    fileprivate static func check(_ c: TrainingCase, _ r: LawRecorder) throws {
        let comparison = try compare(r.entry, c)
        let sensitivity = comparison.sensitivity.map { "; float64 from inputs nudged by one float32 ulp moves by \($0)" } ?? ""
        for (p, difference) in comparison.differences.enumerated() {
            #expect(
                difference <= comparison.bound, r.comment("parameter \(p): relative difference \(difference)\(sensitivity)"),
                sourceLocation: r.sourceLocation)
        }
    }

    private static func runDouble(_ entry: OptimizerUnderTest, _ c: TrainingCase) throws -> [[Double]] {
        let trainer = try Trainer<Double>(entry, c, overrides: entry.crossDtypeOverrides)
        try trainer.run()
        return trainer.values
    }

    /// max |x − y| / max(1, |y|); two NaNs or equal infinities are 0 apart, any other
    /// nonfinite pair ∞.
    private static func relativeDifference(_ x: [Double], _ y: [Double]) -> Double {
        zip(x, y).map { a, b in
            if a == b || (a.isNaN && b.isNaN) { return 0 }
            guard a.isFinite, b.isFinite else { return .infinity }
            return abs(a - b) / max(1, abs(b))
        }.max() ?? 0
    }
}

/// ``OptimizerLaw/nonfiniteGradientPropagatesAsTorch`` in one dtype.
private enum NonfiniteGradientPropagatesAsTorch {
    static func check<S: TensorScalar>(_: S.Type, _ c: TrainingCase, _ poison: Poison, _ r: LawRecorder) throws {
        let entry = r.entry
        let trainer = try Trainer<S>(entry, c)
        trainer.poison = poison
        do {
            try trainer.run()
        } catch let error as OptimizerError where error.kind == .indexError {
            // torch's strong-Wolfe search fails the same way on a NaN loss in a one-point bracket.
            if entry.poison == .someNaN { return }
            throw error
        }
        let target = poison.parameter % c.shapes.count
        let classes = trainer.values.map { $0.map(FiniteClass.init) }
        if entry.poison == .someNaN {
            #expect(
                classes[target].contains(.nan), r.comment("no NaN in the poisoned parameter (\(S.self)): \(classes[target])"),
                sourceLocation: r.sourceLocation)
            return
        }
        let shape = trainer.params[target].shape
        let expected = entry.poison.expected(
            poison, shape: shape, step: poison.step % c.steps + 1, last: poison.step % c.steps == c.steps - 1)
        #expect(
            classes[target] == expected, r.comment("poisoned parameter \(target) of shape \(shape) (\(S.self))"),
            sourceLocation: r.sourceLocation)
        for (p, values) in classes.enumerated() where p != target {
            #expect(
                values.allSatisfy { $0 == .finite }, r.comment("parameter \(p) (not poisoned, \(S.self)): \(values)"),
                sourceLocation: r.sourceLocation)
        }
    }
}
