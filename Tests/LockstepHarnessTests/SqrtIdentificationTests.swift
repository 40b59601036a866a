import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepHarness
import LockstepOptim
import LockstepTestSupport
import Testing

/// Format extension 17: the replay reproduces the tensor `sqrt` the fixture's fingerprint names.
@Suite("sqrt fingerprints (extension 17)")
struct SqrtIdentificationTests {
    /// torch 2.15's `sqrt` of 1305.5197 on Zen 4 (MKL), and the correctly rounded root.
    static let (input, mkl, correct) = (Float(1305.5197), Float(36.131973), Float(36.131977))

    static func fingerprint(_ output: Float) -> FixtureFingerprints {
        FixtureFingerprints(sqrtFloat32: .init(inputs: [input, 4, -1], outputs: [output, 2, .nan]))
    }

    @Test func theImplementationThatReturnsEveryResultIsChosen() {
        let zen4 = SqrtIdentification(Self.fingerprint(Self.mkl), dtype: .float32)
        #expect(zen4.implementation == .mklZen4 && zen4.note == nil)
        let exact = SqrtIdentification(Self.fingerprint(Self.correct), dtype: .float32)
        #expect(exact.implementation == .correctlyRounded && exact.note == nil)
    }

    @Test func anUnknownFingerprintFallsBackAndSaysSo() throws {
        let unknown = SqrtIdentification(Self.fingerprint(Self.correct.nextUp), dtype: .float32)
        #expect(unknown.implementation == .correctlyRounded)
        #expect(try #require(unknown.note).contains("unknown float32 sqrt fingerprint (1 of 3 probes not correctly rounded"))
        let none = SqrtIdentification(FixtureFingerprints(), dtype: .float32)
        #expect(none.implementation == .correctlyRounded && none.note?.contains("no sqrt fingerprint") == true)
    }

    @Test func aFloat64FingerprintThatIsNotCorrectlyRoundedIsNoted() throws {
        let x = 2.0
        let fingerprints = FixtureFingerprints(
            sqrtFloat32: .init(inputs: [Self.input], outputs: [Self.mkl]),
            sqrtFloat64: .init(inputs: [x], outputs: [x.squareRoot().nextUp]))
        let identified = SqrtIdentification(fingerprints, dtype: .float64)
        #expect(identified.implementation == .mklZen4)
        #expect(try #require(identified.note).contains("float64 sqrt is not correctly rounded (1 of 1 probes)"))
        #expect(SqrtIdentification(fingerprints, dtype: .float32).note == nil)
    }

    /// The bundled AdamW golden (float32 for-loop: `exp_avg_sq.sqrt()` is MKL's) is bit-exact
    /// with its fingerprint, and not without it.
    @Test func theBundledAdamWNeedsItsFingerprintToBeBitExact() throws {
        let reader = try FixtureReader(path: fixturePath("adamw.h5"))
        #expect(SqrtIdentification(reader.fingerprints, dtype: .float32).implementation == .mklZen4)
        let result = try Replay(tolerance: .exact).run(reader)
        #expect(result.passed && result.tensorSqrt == "mkl-zen4" && result.sqrtNote == nil)

        let dir = try TemporaryDirectory()
        let path = dir.path("adamw.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        try HDF5File.open(updatingAt: path).root.removeChild("fingerprints")
        let without = try Replay(tolerance: .exact).run(FixtureReader(path: path))
        #expect(!without.passed && without.tensorSqrt == "correctly-rounded")
        #expect(without.sqrtNote?.contains("no sqrt fingerprint") == true)
    }

    @Test(arguments: [
        ("a float64 dataset for float32", "sqrt_float32", [2, 1], true, "holds float64, expected float32"),
        ("one row", "sqrt_float32", [1, 3], false, "shape [1, 3], expected [2, n]"),
        ("an unknown name", "exp_float32", [2, 1], false, "unknown fingerprint; known: sqrt_float32, sqrt_float64"),
    ] as [(String, String, [Int], Bool, String)])
    func invalidFingerprintsAreRejected(_ what: String, _ name: String, _ shape: [Int], _ double: Bool, _ message: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bad.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        do {
            let root = try HDF5File.open(updatingAt: path).root
            try root.removeChild("fingerprints")
            let group = try root.createGroup("fingerprints")
            let count = shape.reduce(1, *)
            if double {
                try group.createDataset(name, shape: shape, values: [Double](repeating: 1, count: count), layout: .contiguous)
            } else {
                try group.createDataset(name, shape: shape, values: [Float](repeating: 1, count: count), layout: .contiguous)
            }
        }
        #expect {
            _ = try FixtureReader(path: path)
        } throws: { error in
            "\(error)".contains("/fingerprints/\(name)") && "\(error)".contains(message)
        }
    }
}
