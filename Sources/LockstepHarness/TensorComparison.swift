import Foundation

/// Running statistics of one compared tensor over a trajectory: the largest absolute,
/// relative and ULP errors, and the first element that failed.
public struct TensorComparison: Sendable, Equatable, Codable {
    /// The first element that failed the tolerance.
    public struct Failure: Sendable, Equatable, Codable {
        public var step: Int
        public var tensor: String
        /// The flat (row-major) index, and the same as a multi-index into the tensor's shape.
        public var index: Int
        public var multiIndex: [Int]
        public var expected: Double
        public var actual: Double
        /// `nil` when the distance is not finite (NaN against a number).
        public var ulps: UInt64?
        /// The closure call the values were compared at, for a recorded closure call
        /// (`/params/<name>/evaluations/param`, format extension 12); `nil` otherwise.
        public var evaluation: Evaluation?

        /// A closure call of a step, and its row in the fixture's series of calls.
        public struct Evaluation: Sendable, Equatable, Codable {
            /// The optimizer's call within the step, from 1.
            public var call: Int
            /// The row of `/evaluations/loss` and `/params/<name>/evaluations/*`: calls of the
            /// whole run in order, from 0.
            public var row: Int

            public init(call: Int, row: Int) {
                self.call = call
                self.row = row
            }
        }

        enum CodingKeys: String, CodingKey {
            case step, tensor, index, multiIndex, expected, actual, ulps, evaluation, expectedBits, actualBits
        }

        public init(
            step: Int, tensor: String, index: Int, multiIndex: [Int], expected: Double, actual: Double, ulps: UInt64?,
            evaluation: Evaluation?
        ) {
            (self.step, self.tensor, self.index, self.multiIndex) = (step, tensor, index, multiIndex)
            (self.expected, self.actual, self.ulps, self.evaluation) = (expected, actual, ulps, evaluation)
        }

        /// As synthesized; with `CodingUserInfoKey.lockstepBitExact` set, also the bits of
        /// `expected` and `actual`, so that a NaN keeps its sign (`expected -nan` in a report).
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(step, forKey: .step)
            try container.encode(tensor, forKey: .tensor)
            try container.encode(index, forKey: .index)
            try container.encode(multiIndex, forKey: .multiIndex)
            try container.encode(expected, forKey: .expected)
            try container.encode(actual, forKey: .actual)
            try container.encodeIfPresent(ulps, forKey: .ulps)
            try container.encodeIfPresent(evaluation, forKey: .evaluation)
            if encoder.userInfo[.lockstepBitExact] as? Bool == true {
                try container.encode(expected.bitPattern, forKey: .expectedBits)
                try container.encode(actual.bitPattern, forKey: .actualBits)
            }
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            step = try container.decode(Int.self, forKey: .step)
            tensor = try container.decode(String.self, forKey: .tensor)
            index = try container.decode(Int.self, forKey: .index)
            multiIndex = try container.decode([Int].self, forKey: .multiIndex)
            expected = try container.decodeIfPresent(UInt64.self, forKey: .expectedBits).map(Double.init(bitPattern:))
                ?? container.decode(Double.self, forKey: .expected)
            actual = try container.decodeIfPresent(UInt64.self, forKey: .actualBits).map(Double.init(bitPattern:))
                ?? container.decode(Double.self, forKey: .actual)
            ulps = try container.decodeIfPresent(UInt64.self, forKey: .ulps)
            evaluation = try container.decodeIfPresent(Evaluation.self, forKey: .evaluation)
        }
    }

    /// The object path of the recorded dataset, e.g. `/params/w/state/exp_avg`.
    public var tensor: String
    public var maxAbsoluteError: Double = 0
    public var maxRelativeError: Double = 0
    /// `nil` when some element was NaN against a number.
    public var maxULPError: UInt64? = 0
    public var comparedElements: Int = 0
    public var failedElements: Int = 0
    public var firstFailure: Failure?
    /// The largest errors at each compared step, in step order: what `verify explain` reads
    /// an error's signature from, and what the HTML report plots.
    public var steps: [StepErrors] = []

    /// The largest errors of one step (over every closure call of it, where there are several).
    public struct StepErrors: Sendable, Equatable, Codable {
        public var step: Int
        /// `nil` when some element was NaN against a number.
        public var maxULPError: UInt64? = 0
        public var maxRelativeError: Double = 0
        public var maxAbsoluteError: Double = 0
        public var failedElements: Int = 0
        /// The flat index of the element with the largest ULP error; `nil` when every element
        /// was equal.
        public var worstIndex: Int?

        public init(step: Int) { self.step = step }

        /// Whether every element of the step was bit-identical (NaN to NaN included).
        public var isExact: Bool { worstIndex == nil }
    }

    public init(tensor: String) { self.tensor = tensor }

    public var passed: Bool { failedElements == 0 }

    /// Compares one step's values, element by element; `evaluation` names the closure call
    /// they were taken at, if any.
    public mutating func compare<T: BinaryFloatingPoint>(
        actual: [T], expected: [T], shape: [Int], step: Int, tolerance: Tolerance,
        evaluation: Failure.Evaluation? = nil
    ) where T.RawSignificand: FixedWidthInteger {
        comparedElements += expected.count
        if steps.last?.step != step { steps.append(StepErrors(step: step)) }
        // Bit-identical rows (every row of an exact replay) pass whole: one `memcmp`.
        if actual.count == expected.count, Self.bitwiseEqual(actual, expected) { return }
        var row = steps.removeLast()
        defer { steps.append(row) }
        var worstULPs: UInt64 = 0
        for i in expected.indices {
            let (a, e) = (actual[i], expected[i])
            if a == e || (a.isNaN && e.isNaN) { continue }
            let ulps = ulpDistance(a, e)
            let absolute = (Double(a) - Double(e)).magnitude
            let relative = e == 0 ? (absolute == 0 ? 0 : .infinity) : absolute / Double(e).magnitude
            maxAbsoluteError = max(maxAbsoluteError, absolute.isNaN ? .infinity : absolute)
            maxRelativeError = max(maxRelativeError, relative.isNaN ? .infinity : relative)
            if ulps == .max { maxULPError = nil } else if let current = maxULPError { maxULPError = max(current, ulps) }
            row.maxAbsoluteError = max(row.maxAbsoluteError, absolute.isNaN ? .infinity : absolute)
            row.maxRelativeError = max(row.maxRelativeError, relative.isNaN ? .infinity : relative)
            if ulps == .max { row.maxULPError = nil } else if let current = row.maxULPError { row.maxULPError = max(current, ulps) }
            if row.worstIndex == nil || ulps > worstULPs { (row.worstIndex, worstULPs) = (i, ulps) }
            if !tolerance.accepts(a, e) {
                row.failedElements += 1
                failedElements += 1
                if firstFailure == nil {
                    firstFailure = Failure(
                        step: step, tensor: tensor, index: i, multiIndex: multiIndex(i, shape: shape),
                        expected: Double(e), actual: Double(a), ulps: ulps == .max ? nil : ulps, evaluation: evaluation)
                }
            }
        }
    }
}

extension TensorComparison {
    /// Whether two arrays hold the same bytes.
    static func bitwiseEqual<T>(_ a: [T], _ b: [T]) -> Bool {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0) } }
    }
}

/// The row-major multi-index of flat index `index` in `shape`.
public func multiIndex(_ index: Int, shape: [Int]) -> [Int] {
    var rest = index
    var result = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        result[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return result
}

extension CodingUserInfoKey {
    /// Asks for a lossless encoding where the usual one loses bits (a NaN's sign): set by
    /// `verify` between its process and the child that reads a fixture.
    public static let lockstepBitExact = CodingUserInfoKey(rawValue: "lockstep.bitExact")!
}
