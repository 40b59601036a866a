import LockstepTesting
import PropertyBased
import Testing

@testable import LockstepOptim

/// Laws of closure re-evaluation for the optimizers that call the closure several times per
/// step (LBFGS, ConjugateGradient), over generated problems: SPD quadratics of random
/// dimension and random data, and Rosenbrock functions from random starts. Each law is one
/// `boundedPropertyCheck` of at least 100 cases, named after the law.
@Suite("Closure re-evaluation properties")
struct ClosureProperties {
    // MARK: - Laws over every method and path

    @Test func closureCallsInAStepEqualTheIncreaseOfFuncEvals() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.generator, Config.generator) { problem, config in
            let run = try Run<Double>(problem, config)
            for step in run.steps {
                #expect(step.calls.count == step.funcEvalsAfter - step.funcEvalsBefore, "\(config)")
            }
        }
    }

    /// torch's bound: `max_eval + 1` (the line search is given `max_eval − evaluations so
    /// far` and always evaluates once; without it, the test after the first re-evaluation
    /// comes one call late when `max_eval = 1`); without a line search also `max_iter`.
    @Test func closureCallsNeverExceedWhatTorchAllows() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.generator, Config.generator) { problem, config in
            let run = try Run<Double>(problem, config)
            for step in run.steps {
                #expect(step.calls.count <= config.maxEval + 1, "\(config)")
                if !config.wolfe {
                    #expect(step.calls.count <= min(config.maxIter, max(config.maxEval, 2)), "\(config)")
                }
            }
        }
    }

    @Test func theFirstCallOfAStepSeesTheParametersAtEntryBitForBit() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.generator, Config.generator) { problem, config in
            let run = try Run<Float>(problem, config)
            for step in run.steps {
                #expect(step.calls.first?.x == step.entry, "\(config)")
            }
        }
    }

    // MARK: - One iteration per step: the step's x and d are the entry and the state's d

    @Test func everyPointALineSearchEvaluatesLiesOnXPlusTD() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.generator, Config.generator.singleIteration(wolfe: true)) { problem, config in
            let run = try Run<Double>(problem, config)
            for step in run.steps where step.iterated {
                for call in step.calls.dropFirst() {
                    let t = step.recoveredT(call.x)
                    let error = zip(zip(call.x, step.entry), step.d).map { abs($0.0 - ($0.1 + t * $1)) }.max() ?? 0
                    let scale = zip(step.entry, step.d).map { abs($0) + abs(t * $1) }.max() ?? 0
                    #expect(error <= 4 * Double.ulpOfOne * scale, "\(config): off the line by \(error)")
                }
            }
        }
    }

    @Test func strongWolfeEndsAtAnEvaluatedPointThatSatisfiesBothWolfeConditions() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.quadratics, Config.generator.singleIteration(wolfe: true, maxEval: 25)) { problem, config in
            let run = try Run<Double>(problem, config)
            for step in run.steps where step.iterated {
                let accepted = try #require(step.calls.first { $0.x == step.exit }, "\(config): the final parameters were never evaluated")
                guard step.exit != step.entry, let start = step.calls.first else { continue }
                let t = step.recoveredT(step.exit)
                let gtd = dot(start.grad, step.d)
                let slack = 1e-12 * (abs(start.loss) + abs(t * gtd))
                #expect(accepted.loss <= start.loss + config.c1 * t * gtd + slack, "\(config): sufficient decrease")
                #expect(abs(dot(accepted.grad, step.d)) <= config.c2 * abs(gtd) * (1 + 1e-12), "\(config): curvature")
            }
        }
    }

    /// For every step that moved from finite values (a fixed step of lr 1 can make
    /// Rosenbrock overflow, and an infinite gradient has no direction): gᵀd < 0 up to the
    /// rounding of the sum itself (n·ε·Σ|gᵢdᵢ|, with g and d scaled to ‖·‖∞ = 1 so that it
    /// survives where gᵀd overflows). Where the terms cancel to within rounding, the sign
    /// depends on the summation order (the shrunk case RuSzWVFR…: terms ~1e58, naive sum
    /// +7e41, MKL's order negative) and is not a law. LBFGS is judged only where its own gᵀd
    /// (MKL's order) is finite: when it overflows to NaN, torch's `gtd > -tolerance_change`
    /// is false and torch goes on along whatever the two-loop recursion gave. The CG
    /// reference restarts there (`not gtd <= -tolerance_change`), a rule this property
    /// forced: it found CG going uphill on Rosenbrock from x0 = [0, 0.569]
    /// (`theCGReferenceRestartsWhenGtdOverflows` keeps that case).
    @Test func everySearchDirectionIsADescentDirection() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(150), input: Problem.generator, Config.generator.singleIteration()) { problem, config in
            try Self.expectDescentDirections(problem, config)
        }
    }

    @Test func theCGReferenceRestartsWhenGtdOverflows() throws {
        let config = Config(method: 2, wolfe: false, maxIter: 1, maxEval: 1, steps: 6)  // PR, fixed step
        try Self.expectDescentDirections(Problem.rosenbrock(n: 2, x0: [0, 0.5692274193824511]), config)
    }

    private static func expectDescentDirections(_ problem: Problem, _ config: Config) throws {
        let run = try Run<Double>(problem, config)
        for step in run.steps where step.iterated && step.exit != step.entry {
            let g = try #require(step.calls.first?.grad)
            guard (g + step.d).allSatisfy(\.isFinite) else { continue }
            if config.method == 0, !TorchReductions.dot(g, step.d).isFinite { continue }
            let (gtd, rounding) = scaledDot(g, step.d)
            #expect(gtd < rounding, "\(config): gᵀd ≥ 0 (scaled \(gtd), rounding \(rounding)) for g \(g), d \(step.d)")
        }
    }

    // MARK: - Conjugate gradient on SPD quadratics

    /// With `c2 = 1e-9` the strong Wolfe search is exact to rounding (the cubic it fits to
    /// a quadratic is the quadratic; `c1 = 1e-10`, as CG requires `c1 < c2`: with the default
    /// 1e-4 every case threw, which `propertyCheck` let pass). CG then stops within n
    /// iterations (‖g‖∞ ≤ 1e-8·‖g₀‖∞), and all five beta rules give the same iterates within
    /// 1e-6 (relative to ‖x‖∞ + 1): on a quadratic they coincide in exact arithmetic — up to
    /// the first one-iteration step that does not move (near the minimum `gᵀd >
    /// −tolerance_change` stops it). The next iteration has `y = g − g_prev = 0`, so FR's
    /// β = 1 keeps `d` and moves, while PR's, PR+'s and HS's β = 0 (or 0/0) and DY's ∞
    /// restart at `−g` and stop again: the rules part there by definition (found once the
    /// law ran: ~1e-5 apart at iterate n, in about one case in 200).
    @Test func conjugateGradientWithExactLineSearchStopsWithinNIterationsAndEveryBetaRuleAgrees() async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(100), input: Problem.quadratics) { problem in
            let n = problem.x0.count
            let g0 = problem.evaluate(problem.x0).grad.map(abs).max() ?? 0
            var iterates: [[[Double]]] = []
            for rule in 1...5 {
                let config = Config(
                    method: rule, wolfe: true, maxIter: 10 * n, maxEval: 100 * n, steps: 1, c1: 1e-10, c2: 1e-9,
                    toleranceGrad: 1e-8 * g0)
                let run = try Run<Double>(problem, config)
                #expect(run.nIter <= n, "\(config): \(run.nIter) iterations for n = \(n)")
                iterates.append(try Run<Double>(problem, Config(config, maxIter: 1, steps: n)).steps.map(\.exit))
            }
            for (rule, path) in iterates.enumerated().dropFirst() {
                var (previous, previousReference) = (problem.x0, problem.x0)
                for (k, (x, reference)) in zip(path, iterates[0]).enumerated() {
                    let scale = 1 + (reference.map(abs).max() ?? 0)
                    let difference = zip(x, reference).map { abs($0 - $1) }.max() ?? 0
                    #expect(difference <= 1e-6 * scale, "\(BetaName.of(rule + 1)) differs from FR at iterate \(k + 1) by \(difference)")
                    if x == previous || reference == previousReference { break }  // stalled: the rules part
                    (previous, previousReference) = (x, reference)
                }
            }
        }
    }

    // MARK: - LBFGS is invariant under scaling the loss by a power of two

    /// `f → 2ᵏf` scales g, gᵀd, yᵀs, ρ and H_diag by powers of two, which round exactly, and
    /// leaves d and t as they were. LBFGS also compares with absolute thresholds, so the law
    /// holds with `tolerance_grad = tolerance_change = 0`, while the first step length is
    /// `1/‖g‖₁` in both runs, and away from convergence: the curvature test `yᵀs > 1e-10`
    /// flips under scaling once `yᵀs` is that small (torch behaves the same). Hence 5–8
    /// dimensional quadratics and four iterations (two steps of two).
    @Test(arguments: [false, true])
    func scalingTheLossByAPowerOfTwoLeavesAnLBFGSTrajectoryBitIdentical(float32: Bool) async throws {
        await boundedPropertyCheck(count: PropertyBudget.cases(100), input: Problem.quadratics(dimensions: 5...8), Config.generator.lbfgs, Gen.int(in: 1...12)) { problem, config, k in
            let g0 = problem.evaluate(problem.x0).grad.reduce(0) { $0 + abs($1) }
            guard g0 >= 1 else { return }  // min(1, 1/‖g‖₁) would differ
            let scale = Double(sign: .plus, exponent: k, significand: 1)
            if float32 {
                let (a, b) = (try Run<Float>(problem, config), try Run<Float>(problem, config, lossScale: scale))
                #expect(a.steps.map(\.exit) == b.steps.map(\.exit), "\(config), 2^\(k)")
            } else {
                let (a, b) = (try Run<Double>(problem, config), try Run<Double>(problem, config, lossScale: scale))
                #expect(a.steps.map(\.exit) == b.steps.map(\.exit), "\(config), 2^\(k)")
            }
        }
    }
}

// MARK: - Problems

/// A generated objective in Double: `½xᵀAx − bᵀx` with `A = MMᵀ/n + I`, or Rosenbrock.
struct Problem: Sendable, CustomStringConvertible {
    var a: [[Double]]?
    var b: [Double]
    var x0: [Double]

    static func quadratic(n: Int, m: [Double], b: [Double], x0: [Double]) -> Problem {
        var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += m[i * 8 + k] * m[j * 8 + k] }
                a[i][j] = sum / Double(n) + (i == j ? 1 : 0)
            }
        }
        return Problem(a: a, b: Array(b.prefix(n)), x0: Array(x0.prefix(n)))
    }

    static func rosenbrock(n: Int, x0: [Double]) -> Problem { Problem(a: nil, b: [], x0: Array(x0.prefix(n))) }

    func evaluate(_ x: [Double]) -> (loss: Double, grad: [Double]) {
        if let a {
            let ax = a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
            let loss = 0.5 * zip(x, ax).reduce(0) { $0 + $1.0 * $1.1 } - zip(b, x).reduce(0) { $0 + $1.0 * $1.1 }
            return (loss, zip(ax, b).map { $0 - $1 })
        }
        var loss = 0.0
        var grad = [Double](repeating: 0, count: x.count)
        for i in 0..<(x.count - 1) {
            let r = x[i + 1] - x[i] * x[i], u = 1 - x[i]
            loss += 100 * r * r + u * u
            grad[i] += -400 * x[i] * r - 2 * u
            grad[i + 1] += 200 * r
        }
        return (loss, grad)
    }

    var description: String {
        a == nil ? "rosenbrock(x0: \(x0))" : "quadratic(n: \(x0.count), A: \(a!), b: \(b), x0: \(x0))"
    }
}

/// `beta` names, 1...5 in the reference's order.
enum BetaName {
    static func of(_ method: Int) -> String { ["LBFGS", "FR", "PR", "PR+", "HS", "DY"][method] }
}

/// What to run: `method` 0 is LBFGS, 1...5 ConjugateGradient with the beta rules in order.
struct Config: Sendable, CustomStringConvertible {
    var method: Int
    var wolfe: Bool
    var maxIter: Int
    var maxEval: Int
    var steps: Int
    var historySize = 100
    var c1 = 1e-4
    var c2Option = 0.1
    var toleranceGrad = 1e-7
    var toleranceChange = 1e-9

    init(method: Int, wolfe: Bool, maxIter: Int, maxEval: Int, steps: Int, historySize: Int = 100, c1: Double = 1e-4,
         c2: Double = 0.1, toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9) {
        (self.method, self.wolfe, self.maxIter, self.maxEval, self.steps) = (method, wolfe, maxIter, maxEval, steps)
        (self.historySize, self.c1, self.c2Option) = (historySize, c1, c2)
        (self.toleranceGrad, self.toleranceChange) = (toleranceGrad, toleranceChange)
    }

    init(_ other: Config, maxIter: Int, steps: Int) {
        self = other
        (self.maxIter, self.steps) = (maxIter, steps)
    }

    /// The curvature constant in effect: LBFGS always searches with torch's 0.9.
    var c2: Double { method == 0 ? 0.9 : c2Option }

    var description: String {
        "\(BetaName.of(method)) \(wolfe ? "strong_wolfe" : "fixed step") max_iter \(maxIter) max_eval \(maxEval) × \(steps) steps"
            + (method == 0 ? " history \(historySize)" : "")
    }
}

extension Problem {
    static var quadratics: Generator<Problem, some SendableSequenceType> { quadratics(dimensions: 2...8) }

    static func quadratics(dimensions: ClosedRange<Int>) -> Generator<Problem, some SendableSequenceType> {
        let m = Gen.double(in: -1...1).array(of: 64)
        let b = Gen.double(in: -1...1).array(of: 8)
        let x0 = Gen.double(in: -2...2).array(of: 8)
        return zip(Gen.int(in: dimensions), m, b, x0).map { (n: Int, m: [Double], b: [Double], x0: [Double]) -> Problem in
            Problem.quadratic(n: n, m: m, b: b, x0: x0)
        }
    }

    static var rosenbrocks: Generator<Problem, some SendableSequenceType> {
        zip(Gen.int(in: 2...6), Gen.double(in: -2...2).array(of: 6)).map { (n: Int, x0: [Double]) -> Problem in Problem.rosenbrock(n: n, x0: x0) }
    }

    /// SPD quadratics and Rosenbrock functions, two to one.
    static var generator: Generator<Problem, some SendableSequenceType> {
        zip(quadratics, rosenbrocks, Gen.int(in: 0...2)).map { (q: Problem, r: Problem, pick: Int) -> Problem in pick == 2 ? r : q }
    }

}

extension Config {
    static var generator: Generator<Config, some SendableSequenceType> {
        zip(Gen.int(in: 0...5), Gen.bool, Gen.int(in: 1...6), Gen.int(in: 1...12), Gen.int(in: 1...4),
            Gen.int(in: 1...4))
            .map { (method: Int, wolfe: Bool, maxIter: Int, maxEval: Int, steps: Int, history: Int) -> Config in
                Config(method: method, wolfe: wolfe, maxIter: maxIter, maxEval: maxEval, steps: steps, historySize: history)
            }
    }
}

extension Generator where ResultValue == Config {
    /// One iteration per step (so a step's x and d are its entry and the state's `d`), six steps.
    func singleIteration(wolfe: Bool? = nil, maxEval: Int? = nil) -> Generator<Config, some SendableSequenceType> {
        map { (config: Config) -> Config in
            var config = Config(config, maxIter: 1, steps: 6)
            if let wolfe { config.wolfe = wolfe }
            config.maxEval = maxEval ?? max(config.maxEval, 1)
            return config
        }
    }

    /// LBFGS with tolerances 0, two steps of two iterations.
    var lbfgs: Generator<Config, some SendableSequenceType> {
        map { config in
            Config(method: 0, wolfe: config.wolfe, maxIter: 2, maxEval: 10, steps: 2, historySize: config.historySize,
                   toleranceGrad: 0, toleranceChange: 0)
        }
    }
}

// MARK: - Running with a recording closure

protocol ClosureStepping<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    func step(closure: () throws -> Double) throws -> Double
    func state(of parameter: Parameter<Scalar>) -> [String: StateValue<Scalar>]?
}

extension LBFGS: ClosureStepping {}
extension ConjugateGradient: ClosureStepping {}

/// One run of `config.steps` steps on `problem`, every closure call recorded.
struct Run<Scalar: TensorScalar> {
    struct Call {
        var x: [Scalar]
        var loss: Double
        var grad: [Double]
    }

    struct Step {
        var entry: [Scalar]
        var exit: [Scalar]
        var calls: [Call]
        var funcEvalsBefore: Int
        var funcEvalsAfter: Int
        var iterated: Bool
        /// The state's `d` after the step (the last iteration's direction).
        var d: [Double]

        /// `t` with `x ≈ entry + t·d` (least squares).
        func recoveredT(_ x: [Scalar]) -> Double {
            let dx = zip(x, entry).map { Double($0) - Double($1) }
            return dot(dx, d) / dot(d, d)
        }

        var entryDouble: [Double] { entry.map(Double.init) }
    }

    var steps: [Step] = []
    var nIter = 0

    init(_ problem: Problem, _ config: Config, lossScale: Double = 1) throws {
        let x = Parameter<Scalar>(problem.x0.map { Scalar($0) })
        let optimizer: any ClosureStepping<Scalar>
        let lineSearch: LBFGS<Scalar>.LineSearch? = config.wolfe ? .strongWolfe : nil
        if config.method == 0 {
            optimizer = try LBFGS([x], .init(maxIter: config.maxIter, maxEval: config.maxEval, toleranceGrad: config.toleranceGrad,
                                             toleranceChange: config.toleranceChange, historySize: config.historySize,
                                             lineSearchFn: lineSearch))
        } else {
            let rule = ConjugateGradient<Scalar>.BetaRule(name: ConjugateGradient<Scalar>.BetaRule.names[config.method - 1])
            optimizer = try ConjugateGradient([x], .init(maxIter: config.maxIter, maxEval: config.maxEval,
                                                         toleranceGrad: config.toleranceGrad, toleranceChange: config.toleranceChange,
                                                         beta: rule, lineSearchFn: lineSearch, c1: config.c1, c2: config.c2Option))
        }
        func number(_ key: String) -> Int {
            if case .scalar(let value)? = optimizer.state(of: x)?[key] { return Int(value) }
            return 0
        }
        var calls: [Call] = []
        let closure = { () throws -> Double in
            let (loss, grad) = problem.evaluate(x.value.map(Double.init))
            let scaled = grad.map { Scalar($0 * lossScale) }
            try x.setGrad(scaled)
            calls.append(Call(x: x.value, loss: loss * lossScale, grad: scaled.map(Double.init)))
            return Double(Scalar(loss * lossScale))
        }
        for _ in 0..<config.steps {
            calls = []
            let (entry, before, iterationsBefore) = (x.value, number("func_evals"), number("n_iter"))
            _ = try optimizer.step(closure: closure)
            var d: [Double] = []
            if case .tensor(_, let values)? = optimizer.state(of: x)?["d"] { d = values.map(Double.init) }
            steps.append(Step(entry: entry, exit: x.value, calls: calls, funcEvalsBefore: before, funcEvalsAfter: number("func_evals"),
                              iterated: number("n_iter") > iterationsBefore, d: d))
        }
        nIter = number("n_iter")
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// gᵀd with g and d divided by their largest magnitudes (the sign of gᵀd without
/// overflow), and the bound n·ε·Σ|gᵢdᵢ| on the rounding of that sum.
private func scaledDot(_ a: [Double], _ b: [Double]) -> (dot: Double, rounding: Double) {
    let sa = a.map(abs).max() ?? 1, sb = b.map(abs).max() ?? 1
    guard sa > 0, sb > 0 else { return (0, 0) }
    let terms = zip(a, b).map { ($0 / sa) * ($1 / sb) }
    let magnitude = terms.reduce(0) { $0 + abs($1) }
    return (terms.reduce(0, +), Double(terms.count) * Double.ulpOfOne * magnitude)
}
