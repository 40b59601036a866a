import Testing

@testable import LockstepHarness

@Suite("ULP distance")
struct ULPTests {
    @Test func countsRepresentableValuesBetween() {
        #expect(ulpDistance(Float(1), Float(1).nextUp) == 1)
        #expect(ulpDistance(Double(1), Double(1).nextDown) == 1)
        #expect(ulpDistance(Float(1), Float(1)) == 0)
        #expect(ulpDistance(Float(2), Float(1)) == 1 << 23)
    }

    @Test func crossesZeroWithBothZerosAtOnePoint() {
        #expect(ulpDistance(Float(0), -Float(0)) == 0)
        #expect(ulpDistance(Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude) == 2)
        #expect(ulpDistance(Double.leastNonzeroMagnitude, 0) == 1)
        #expect(ulpDistance(-Double.leastNonzeroMagnitude, Double.leastNonzeroMagnitude * 3) == 4)
    }

    @Test func walksThroughSubnormals() {
        #expect(ulpDistance(Float.leastNormalMagnitude, Float.leastNormalMagnitude.nextDown) == 1)
        #expect(ulpDistance(Float.leastNormalMagnitude, 0) == 1 << 23)
    }

    @Test func infinityIsOneStepBeyondTheLargestFinite() {
        #expect(ulpDistance(Float.infinity, Float.greatestFiniteMagnitude) == 1)
        #expect(ulpDistance(Double.infinity, Double.infinity) == 0)
        #expect(ulpDistance(-Double.infinity, Double.infinity) == 2 * (0x7FF0_0000_0000_0000 as UInt64))
    }

    @Test func nanIsNowhereUnlessBothAreNaN() {
        #expect(ulpDistance(Float.nan, Float.nan) == 0)
        #expect(ulpDistance(Float.nan, 1) == .max)
        #expect(ulpDistance(Double.infinity, .nan) == .max)
    }
}

@Suite("Tolerance")
struct ToleranceTests {
    @Test func followsTheFormatsThreeRules() {
        let tolerance = Tolerance(rtol: 1e-3, atol: 1e-6, maxULP: 4)
        #expect(tolerance.accepts(Float.nan, .nan))
        #expect(tolerance.accepts(Float.infinity, .infinity))
        #expect(!tolerance.accepts(Float.infinity, -.infinity))
        #expect(!tolerance.accepts(Float.nan, 1))
        #expect(tolerance.accepts(Double(1.0005), 1))           // relative
        #expect(tolerance.accepts(Double(5e-7), 0))             // absolute
        #expect(!tolerance.accepts(Double(2e-6), 0))
        let ulpOnly = Tolerance(rtol: 0, atol: 0, maxULP: 2)
        #expect(ulpOnly.accepts(Float(1).nextUp.nextUp, 1))
        #expect(!ulpOnly.accepts(Float(1).nextUp.nextUp.nextUp, 1))
        #expect(ulpOnly.accepts(Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude))
        #expect(!Tolerance.exact.accepts(Float(1).nextUp, 1))
        #expect(Tolerance.exact.accepts(Float(0), -0))
    }

    @Test func commandLineBeatsFileBeatsDefaults() {
        let file = LockstepFormat.FixtureHeader.Tolerance(rtol: 1e-3, atol: nil, maxULP: 8)
        let resolved = Tolerance.resolve(rtol: nil, atol: 0.5, maxULP: nil, file: file, dtype: .float32)
        #expect(resolved == Tolerance(rtol: 1e-3, atol: 0.5, maxULP: 8))
        #expect(Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: nil, dtype: .float64)
            == Tolerance(rtol: 1e-7, atol: 1e-7, maxULP: 0))
        #expect(Tolerance.defaults(for: .float32) == Tolerance(rtol: 1.3e-6, atol: 1e-5, maxULP: 0))
    }
}

@Suite("Tensor comparison")
struct TensorComparisonTests {
    @Test func recordsTheFirstFailureWithItsMultiIndex() {
        var comparison = TensorComparison(tensor: "/params/w/param")
        comparison.compare(actual: [1, 2, 3, 4, 5, 6] as [Float], expected: [1, 2, 3, 4, 5, 6], shape: [2, 3], step: 1, tolerance: .exact)
        #expect(comparison.passed)
        comparison.compare(actual: [1, 2, 3, 4, 5.5, 7] as [Float], expected: [1, 2, 3, 4, 5, 6], shape: [2, 3], step: 2, tolerance: .exact)
        #expect(!comparison.passed)
        #expect(comparison.failedElements == 2)
        let failure = comparison.firstFailure
        #expect(failure?.step == 2)
        #expect(failure?.index == 4)
        #expect(failure?.multiIndex == [1, 1])
        #expect(failure?.expected == 5)
        #expect(failure?.actual == 5.5)
        #expect(failure?.ulps == 1 << 20)
        #expect(comparison.maxAbsoluteError == 1)
        #expect(comparison.maxULPError == 1 << 21)
    }

    @Test func nanAgainstANumberHasNoULPFigure() {
        var comparison = TensorComparison(tensor: "t")
        comparison.compare(actual: [.nan] as [Double], expected: [1], shape: [1], step: 1, tolerance: .defaults(for: .float64))
        #expect(!comparison.passed)
        #expect(comparison.maxULPError == nil)
        #expect(comparison.firstFailure?.ulps == nil)
    }
}

import LockstepFormat
