import LockstepHarness
import Testing

@testable import LockstepDiagnosis

/// The signature `explain` prints for how an error develops over the steps.
@Suite("Error signature")
struct ErrorSignatureTests {
    /// A result of one tensor whose per-step values are `rows` (ULPs per step, element 2).
    static func result(_ rows: [UInt64]) -> VerificationResult {
        var comparison = TensorComparison(tensor: "/params/w/param")
        for (offset, ulps) in rows.enumerated() {
            let expected: [Float] = [1, 1, 1, 1]
            var actual = expected
            actual[2] = Float(bitPattern: expected[2].bitPattern &+ UInt32(ulps))
            comparison.compare(actual: actual, expected: expected, shape: [4], step: offset + 1, tolerance: .exact)
        }
        return VerificationResult(
            fixture: "f.h5", optimizer: "Adam", dtype: "float32", implementation: nil, cpuCapability: nil,
            steps: rows.count, mode: .freeRunning, tolerance: .exact, tensors: [comparison])
    }

    @Test func exactAtEveryStep() {
        #expect(ErrorSignature(Self.result([0, 0, 0])).kind == .exact)
    }

    @Test func smallFromTheStartIsRounding() {
        let signature = ErrorSignature(Self.result([0, 1, 3, 9, 40]))
        #expect(signature.kind == .accumulatedRounding)
        #expect(signature.step == 2)
        #expect(signature.element == 2)
        #expect(signature.ulpsByStep == [0, 1, 3, 9, 40])
    }

    @Test func exactThenLargeIsAJump() {
        let signature = ErrorSignature(Self.result([0, 0, 0, 1 << 20, 1 << 21]))
        #expect(signature.kind == .jump)
        #expect(signature.step == 4)
        #expect(signature.description.hasPrefix("jump at step 4, /params/w/param element 2"))
    }

    @Test func largeFromStepOneIsAnotherFormula() {
        #expect(ErrorSignature(Self.result([1 << 22, 1 << 22])).kind == .differentFormula)
    }
}
