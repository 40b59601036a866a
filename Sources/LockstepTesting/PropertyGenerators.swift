import Foundation
import LockstepOptim
import PropertyBased

// The generated inputs of the optimizer laws, and the one driver that trains any
// `OptimizerUnderTest` on them.

/// A training problem drawn at random: parameter shapes, initial values, a gradient for
/// every step, and the choices the laws need (group split, gradient gaps, save step).
///
/// Values and gradients are read cyclically from two pools of fixed length, so shrinking a
/// failing case moves pool entries towards zero and drops parameters and steps, and the
/// printed case is all it takes to reproduce a failure.
struct TrainingCase: Sendable, CustomStringConvertible {
    /// `(rows, columns, asVector)`: a matrix, or a vector of `columns` where the optimizer
    /// accepts vectors.
    var shapes: [Shape]
    var steps: Int
    /// Gradients are scaled by 2^gradientExponent.
    var gradientExponent: Int
    var values: [Double]
    var gradients: [Double]
    /// Cyclic pool: parameter `p` starts a new param group where `newGroup[p]`; a gradient
    /// `(step, p)` is missing where `gap[...]`; a sparse gradient holds an entry where `held[...]`.
    var flags: [Bool]
    /// Which step to save at (state-dict law), which parameter never has a gradient.
    var pick: Int

    /// A vector still takes `rows · columns` entries of the pools (so the next parameter's
    /// values and gradients do not depend on whether the optimizer takes vectors): its
    /// description shows both, or a replay from the printed case would read other entries.
    struct Shape: Sendable, CustomStringConvertible {
        var rows: Int
        var columns: Int
        var asVector: Bool
        var description: String { asVector ? "[\(columns)] (of \(rows)×\(columns))" : "[\(rows), \(columns)]" }
    }

    var description: String {
        func list(_ xs: [Double]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
        return """
            TrainingCase(shapes: \(shapes), steps: \(steps), gradientExponent: \(gradientExponent), pick: \(pick),
              values: \(list(values)),
              gradients: \(list(gradients)),
              flags: \(flags.map { $0 ? 1 : 0 }))
            """
    }

    func shape(_ p: Int, matricesOnly: Bool) -> [Int] {
        let s = shapes[p]
        return s.asVector && !matricesOnly ? [s.columns] : [s.rows, s.columns]
    }

    private func flatOffset(_ p: Int) -> Int { shapes.prefix(p).reduce(0) { $0 + $1.rows * $1.columns } }
    private var totalCount: Int { flatOffset(shapes.count) }

    /// The initial values of parameter `p` (`count` elements).
    func initialValues(_ p: Int, count: Int) -> [Double] {
        (0..<count).map { values[(flatOffset(p) + $0) % values.count] }
    }

    /// The gradient of parameter `p` at `step` (0-based).
    func gradient(step: Int, _ p: Int, count: Int) -> [Double] {
        let scale = Foundation.pow(2.0, Double(gradientExponent))
        return (0..<count).map { gradients[(step * totalCount + flatOffset(p) + $0 * 7) % gradients.count] * scale }
    }

    /// The same case with every value representable in float32 (the float32/float64 law).
    var roundedToFloat32: TrainingCase {
        var c = self
        c.values = values.map { Double(Float($0)) }
        c.gradients = gradients.map { Double(Float($0)) }
        return c
    }

    /// How ``nudged(_:)`` moves the pools' entries, each by one float32 ulp: four directions
    /// that cannot all cancel where values and gradients meet (`g + λθ`).
    enum Nudge: CaseIterable {
        /// Every value up (towards +∞), gradients unchanged.
        case valuesUp
        /// Every gradient up, values unchanged.
        case gradientsUp
        /// Every value and gradient down.
        case allDown
        /// Values up at even positions and down at odd ones, gradients the other way.
        case alternating
    }

    /// The case (float32-representable) with its pool entries moved to a neighbouring float32
    /// value as `nudge` says: what the float32 ≈ float64 law measures a case's sensitivity by.
    func nudged(_ nudge: Nudge) -> TrainingCase {
        func move(_ x: Double, _ direction: Int) -> Double {
            direction > 0 ? Double(Float(x).nextUp) : direction < 0 ? Double(Float(x).nextDown) : x
        }
        let (value, gradient): ((Int) -> Int, (Int) -> Int) =
            switch nudge {
            case .valuesUp: ({ _ in 1 }, { _ in 0 })
            case .gradientsUp: ({ _ in 0 }, { _ in 1 })
            case .allDown: ({ _ in -1 }, { _ in -1 })
            case .alternating: ({ $0.isMultiple(of: 2) ? 1 : -1 }, { $0.isMultiple(of: 2) ? -1 : 1 })
            }
        var c = self
        c.values = values.enumerated().map { move($1, value($0)) }
        c.gradients = gradients.enumerated().map { move($1, gradient($0)) }
        return c
    }

    func flag(_ index: Int) -> Bool { flags[index % flags.count] }
    func newGroup(_ p: Int) -> Bool { p > 0 && flag(p) }
    func gap(step: Int, _ p: Int) -> Bool { flag(3 + step * 5 + p * 11) }
    func held(step: Int, _ p: Int, _ i: Int) -> Bool { !flag(1 + step * 3 + p * 7 + i * 2) || flag(2 + i) }

    /// A generator of cases: 1–3 parameters of up to 4×5, 1–`maxSteps` steps.
    static func generator(maxSteps: Int = 8) -> Generator<TrainingCase, some SendableSequenceType> {
        let shape = zip(Gen.int(in: 1...4), Gen.int(in: 1...5), Gen.bool).map { Shape(rows: $0, columns: $1, asVector: $2) }
        return zip(
            shape.array(of: 1...3),
            Gen.int(in: 1...maxSteps),
            Gen.int(in: -8...2),
            Gen.double(in: -3...3).array(of: 29),
            Gen.double(in: -3...3).array(of: 61),
            Gen.bool.array(of: 23),
            Gen.int(in: 0...1000)
        ).map { shapes, steps, exponent, values, gradients, flags, pick in
            TrainingCase(
                shapes: shapes, steps: steps, gradientExponent: exponent, values: values, gradients: gradients,
                flags: flags, pick: pick)
        }
    }
}

/// A nonfinite value put into one gradient element at one step.
struct Poison: Sendable, CustomStringConvertible {
    enum Kind: Sendable, CaseIterable { case nan, plusInfinity, minusInfinity }
    var kind: Kind
    /// Reduced modulo the case's parameters, elements and steps.
    var parameter: Int
    var element: Int
    var step: Int

    var value: Double {
        switch kind {
        case .nan: .nan
        case .plusInfinity: .infinity
        case .minusInfinity: -.infinity
        }
    }

    var description: String { "Poison(\(kind), parameter: \(parameter), element: \(element), step: \(step))" }

    static var generator: Generator<Poison, some SendableSequenceType> {
        zip(Gen.int(in: 0...2), Gen.int(in: 0...100), Gen.int(in: 0...100), Gen.int(in: 0...100)).map {
            Poison(kind: Kind.allCases[$0], parameter: $1, element: $2, step: $3)
        }
    }
}

/// Trains one optimizer under test on one case, step by step.
final class Trainer<S: TensorScalar> {
    let entry: OptimizerUnderTest
    let problem: TrainingCase
    let params: [Parameter<S>]
    let optimizer: AnyOptimizer<S>
    /// Feed −g instead of g (and −f for a closure).
    var negate = false
    var poison: Poison?
    /// The parameter that never receives a gradient.
    var withoutGradient: Int?
    /// Whether `(step, parameter)` has no gradient.
    var gaps: (Int, Int) -> Bool = { _, _ in false }

    init(
        _ entry: OptimizerUnderTest, _ problem: TrainingCase, maximize: Bool = false, groupsSplit: Bool = false,
        overrides: String? = nil
    ) throws {
        self.entry = entry
        self.problem = problem
        params = try problem.shapes.indices.map { p in
            let shape = problem.shape(p, matricesOnly: entry.matricesOnly)
            return try Parameter<S>(
                shape: shape, value: problem.initialValues(p, count: shape.reduce(1, *)).map { S($0) })
        }
        var groups: [[Parameter<S>]] = []
        for (p, param) in params.enumerated() {
            if groups.isEmpty || (groupsSplit && problem.newGroup(p)) { groups.append([]) }
            groups[groups.count - 1].append(param)
        }
        optimizer = try entry.make(groups, maximize: maximize, overrides: overrides)
    }

    var values: [[S]] { params.map(\.value) }
    var states: [[String: StateValue<S>]?] { params.map(optimizer.state) }

    func hasGradient(step: Int, _ p: Int) -> Bool { p != withoutGradient && !gaps(step, p) }

    func gradient(step: Int, _ p: Int) -> [S] {
        var g = problem.gradient(step: step, p, count: params[p].count).map { S($0) }
        if negate { g = g.map { -$0 } }
        if let poison, p == poison.parameter % params.count, step == poison.step % problem.steps {
            g[poison.element % g.count] = S(poison.value)
        }
        return g
    }

    /// Runs steps `range` (0-based).
    func run(_ range: Range<Int>) throws {
        for step in range {
            switch entry.gradients {
            case .dense:
                for p in params.indices { try params[p].setGrad(hasGradient(step: step, p) ? gradient(step: step, p) : nil) }
                try optimizer.step()
            case .sparse:
                for p in params.indices {
                    guard hasGradient(step: step, p) else { try params[p].setGrad(nil); continue }
                    let dense = gradient(step: step, p)
                    // A poisoned element is always one the sparse gradient holds.
                    let mask = dense.indices.map { problem.held(step: step, p, $0) || !dense[$0].isFinite }
                    let g = zip(dense, mask).map { $1 ? $0 : 0 }
                    try params[p].setGrad(g, sparseMask: mask)
                }
                try optimizer.step()
            case .closure:
                try optimizer.step { try self.evaluateQuadratic(step: step) }
            }
        }
    }

    func run() throws { try run(0..<problem.steps) }

    /// The closure of a closure-driven optimizer: f(θ) = Σ ½·aᵢ(θᵢ − cᵢ)², aᵢ = ½ + |gᵢ|,
    /// cᵢ from the step's gradient pool; sets ∇f (or −∇f) and returns f (or −f).
    private func evaluateQuadratic(step: Int) throws -> Double {
        var loss = 0.0
        for (p, param) in params.enumerated() {
            guard hasGradient(step: step, p) else { try param.setGrad(nil); continue }
            let raw = problem.gradient(step: 0, p, count: param.count)
            var g = [S]()
            for (i, theta) in param.value.enumerated() {
                let a = S(0.5 + abs(raw[i])), c = S(problem.values[(i + p) % problem.values.count])
                let d = theta - c
                loss += 0.5 * Double(a) * Double(d) * Double(d)
                g.append(negate ? -(a * d) : a * d)
            }
            if let poison, p == poison.parameter % params.count, step == poison.step % problem.steps {
                g[poison.element % g.count] = S(poison.value)
            }
            try param.setGrad(g)
        }
        return negate ? -loss : loss
    }
}

/// The class of a value under IEEE 754: what the NaN/∞ law compares with torch's.
enum FiniteClass: Sendable, Equatable, CustomStringConvertible {
    case finite, nan, plusInfinity, minusInfinity

    init<S: TensorScalar>(_ x: S) {
        self = x.isNaN ? .nan : x.isFinite ? .finite : x > 0 ? .plusInfinity : .minusInfinity
    }

    var description: String {
        switch self {
        case .finite: "fin"
        case .nan: "nan"
        case .plusInfinity: "+inf"
        case .minusInfinity: "-inf"
        }
    }
}

extension OptimizerUnderTest.PoisonRule {
    /// What torch leaves in the poisoned parameter after poisoning step `step` (1-based);
    /// `last`: the poisoned step is the case's last. Not for ``someNaN``, which has no rule.
    func expected(_ poison: Poison, shape: [Int], step: Int, last: Bool) -> [FiniteClass] {
        let count = shape.reduce(1, *)
        let index = poison.element % count
        var result = [FiniteClass](repeating: .finite, count: count)
        let isNaN = poison.kind == .nan
        let against: FiniteClass = poison.kind == .plusInfinity ? .minusInfinity : .plusInfinity
        switch self {
        case .element:
            result[index] = .nan
        case .signedInfinityUntilDecayed:
            result[index] = isNaN || !last ? .nan : against
        case .signedInfinity:
            result[index] = isNaN ? .nan : against
        case .rectified(let beta2):
            let t = Double(step)
            let rhoInf = 2 / (1 - beta2) - 1
            let rhoT = rhoInf - 2 * t * Foundation.pow(beta2, t) / (1 - Foundation.pow(beta2, t))
            result[index] = isNaN || !last || rhoT > 5 ? .nan : against
        case .absorbed, .finite:
            break
        case .wholeTensor:
            result = result.map { _ in .nan }
        case .factored:
            guard shape.count == 2 else {
                result[index] = .nan
                break
            }
            if isNaN || !last || Foundation.pow(Double(step), -0.8) >= 0.5 { return result.map { _ in .nan } }
            let (row, column) = index.quotientAndRemainder(dividingBy: shape[1])
            for i in 0..<count where i / shape[1] == row || i % shape[1] == column { result[i] = .nan }
        case .someNaN:
            break
        }
        return result
    }
}
