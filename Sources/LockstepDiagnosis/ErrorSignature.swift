import LockstepHarness

/// How a replay's error develops over the steps: what tells rounding from a different rule.
///
/// Read from the per-step maxima of every compared tensor (`TensorComparison.steps`):
///
/// - **exact**: every value bit for bit.
/// - **accumulated rounding**: the first difference is a few ULPs (≤ ``roundingULPs``) and
///   grows from there, as rounding differences do when they feed back through the state.
/// - **jump**: bit for bit through some step, then a large difference at one step and
///   element: a branch or threshold taken differently, or a term that first acts there (a
///   group that joins, a schedule's change, a zero gradient).
/// - **different formula**: a large difference from the first step: the rule itself differs.
public struct ErrorSignature: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case exact
        case accumulatedRounding = "accumulated rounding"
        case jump
        case differentFormula = "different formula"
    }

    /// The largest first difference still read as rounding: a few roundings of one operation.
    public static let roundingULPs: UInt64 = 64

    public var kind: Kind
    /// The first step with a difference, and where it was largest.
    public var step: Int?
    public var tensor: String?
    public var element: Int?
    /// The largest ULP error at the first differing step, and at the last step (`nil`: NaN
    /// against a number).
    public var firstULPs: UInt64?
    public var finalULPs: UInt64?
    /// The largest ULP error at each step, over every compared tensor (`nil`: NaN against a
    /// number), in step order.
    public var ulpsByStep: [UInt64?]

    /// Reads the signature of `result`.
    public init(_ result: VerificationResult) {
        var byStep: [Int: UInt64?] = [:]
        var firstAt: (step: Int, ulps: UInt64, tensor: String, element: Int)?
        for tensor in result.tensors {
            for row in tensor.steps {
                let ulps = row.isExact ? 0 : (row.maxULPError ?? .max)
                let previous = byStep[row.step] ?? 0
                byStep[row.step] = previous.flatMap { p in ulps == .max ? nil : max(p, ulps) }
                guard let element = row.worstIndex else { continue }
                if firstAt == nil || row.step < firstAt!.step || (row.step == firstAt!.step && ulps > firstAt!.ulps) {
                    firstAt = (row.step, ulps, tensor.tensor, element)
                }
            }
        }
        ulpsByStep = byStep.keys.sorted().map { byStep[$0]! }
        finalULPs = ulpsByStep.last ?? 0
        guard let first = firstAt else {
            kind = .exact
            return
        }
        (step, tensor, element) = (first.step, first.tensor, first.element)
        firstULPs = first.ulps == .max ? nil : first.ulps
        if first.ulps <= Self.roundingULPs {
            kind = .accumulatedRounding
        } else if first.step > (byStep.keys.min() ?? 1) {
            kind = .jump
        } else {
            kind = .differentFormula
        }
    }

    /// One line: `jump at step 6, /params/w/param element 3 (2.1e+06 ulp), bit for bit before it`.
    public var description: String {
        func show(_ ulps: UInt64?) -> String { ulps.map { "\($0) ulp" } ?? "NaN against a number" }
        let place = "\(tensor ?? "?") element \(element ?? 0)"
        switch kind {
        case .exact:
            return "bit for bit at every step"
        case .accumulatedRounding:
            return "accumulated rounding: \(show(firstULPs)) at step \(step ?? 0) (\(place)), \(show(finalULPs)) at the last step"
        case .jump:
            return "jump at step \(step ?? 0), \(place) (\(show(firstULPs))), bit for bit before it: "
                + "a branch or threshold taken differently, or a term that first acts there"
        case .differentFormula:
            return "different formula: \(show(firstULPs)) from step \(step ?? 0) (\(place))"
        }
    }
}
