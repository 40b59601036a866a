import Foundation
import LockstepFormat
import LockstepHarness
import LockstepOptim
import LockstepTesting
import Testing

/// The element loops run with the instruction set chosen at run time; the choice never
/// changes a bit: every golden replays to the same results with each variant the CPU has.
@Suite("Kernel dispatch", .serialized)
struct KernelDispatchTests {
    /// The goldens of the optimizers whose loops are dispatched (Adam, AdamW, SGD, Adagrad).
    static var dispatched: [Fixture] {
        Fixture.goldens.filter { fixture in
            ["adam_", "adamw", "sgd_", "adagrad_"].contains { fixture.testDescription.hasPrefix($0) }
        }
    }

    @Test func everySupportedVariantReplaysEveryGoldenToTheSameBits() throws {
        let original = KernelISA.current
        defer { KernelISA.select(original) }
        let variants = KernelISA.allCases.filter(\.isSupported)
        #expect(variants.contains(.baseline))
        var results: [KernelISA: [VerificationResult]] = [:]
        for isa in variants {
            #expect(KernelISA.select(isa))
            #expect(KernelISA.current == isa)
            results[isa] = try Self.dispatched.map { fixture in
                let reader = try FixtureReader(path: fixture.path)
                return try Replay(tolerance: .exact).run(reader)
            }
        }
        #expect(Self.dispatched.count > 100)
        let baseline = try #require(results[.baseline])
        for isa in variants where isa != .baseline {
            for (a, b) in zip(baseline, results[isa]!) {
                #expect(a.tensors == b.tensors, "\(a.fixture): \(isa) differs from the baseline variant")
            }
        }
        // The bit-exact goldens stay bit-exact.
        #expect(baseline.filter(\.passed).count > 50)
    }

    @Test func anUnsupportedVariantIsRefused() {
        for isa in KernelISA.allCases where !isa.isSupported {
            let before = KernelISA.current
            #expect(!KernelISA.select(isa))
            #expect(KernelISA.current == before)
        }
    }
}
