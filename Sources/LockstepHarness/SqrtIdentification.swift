import LockstepFormat
import LockstepOptim

/// Which tensor `sqrt` a replay reproduces, chosen from the fixture's fingerprint (format
/// extension 17): the first `TorchSqrt` that returns every recorded float32 result bit for
/// bit; correctly rounded when the file has no fingerprint or none matches, with a ``note``
/// saying so. A float64 fingerprint that is not correctly rounded is noted too: MKL's
/// float64 kernel is not reproduced.
public struct SqrtIdentification: Sendable, Equatable {
    /// The implementation the replay uses.
    public let implementation: TorchSqrt
    /// For the report, where the replay cannot reproduce the reference's `sqrt` exactly (or
    /// cannot know): `nil` when it does.
    public let note: String?

    /// Identifies the reference's `sqrt` from `fingerprints`, for a fixture of `dtype`.
    public init(_ fingerprints: FixtureFingerprints, dtype: FixtureHeader.DType) {
        var notes: [String] = []
        if let probe = fingerprints.sqrtFloat32 {
            if let known = TorchSqrt.allCases.first(where: { Self.reproduces($0, probe) }) {
                implementation = known
            } else {
                implementation = .correctlyRounded
                let differing = zip(probe.inputs, probe.outputs).filter { !Self.same($1, $0.squareRoot()) }.count
                notes.append(
                    "unknown float32 sqrt fingerprint (\(differing) of \(probe.inputs.count) probes not correctly rounded, "
                        + "no known implementation matches): sqrt taken correctly rounded, so paths through torch's tensor "
                        + "sqrt agree within ULPs, not bit for bit")
            }
        } else {
            implementation = .correctlyRounded
            notes.append("no sqrt fingerprint (format extension 17): tensor sqrt taken correctly rounded")
        }
        if dtype == .float64, let probe = fingerprints.sqrtFloat64, !Self.reproduces(.correctlyRounded, probe) {
            let differing = zip(probe.inputs, probe.outputs).filter { !Self.same($1, $0.squareRoot()) }.count
            notes.append(
                "the reference's float64 sqrt is not correctly rounded (\(differing) of \(probe.inputs.count) probes) "
                    + "and is not reproduced: float64 paths through torch's tensor sqrt agree within ULPs")
        }
        note = notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// Whether `implementation` returns every result of `probe`.
    static func reproduces<T: TensorScalar>(_ implementation: TorchSqrt, _ probe: FixtureFingerprints.Probe<T>) -> Bool {
        implementation.isExact(for: T.self) && zip(probe.inputs, probe.outputs).allSatisfy { same($1, implementation($0)) }
    }

    /// The same bits, or both NaN (a NaN's sign and payload are the host's, not the library's).
    private static func same<T: TensorScalar>(_ a: T, _ b: T) -> Bool {
        a.isNaN ? b.isNaN : a == b && a.sign == b.sign
    }
}
