/// What the reference's own elementary functions returned on fixed probes (format extension
/// 17), so a replay can tell which implementation recorded the trajectory: torch's tensor
/// `sqrt` is MKL's on x86-64, and MKL's result depends on the CPU it ran on.
public struct FixtureFingerprints: Sendable, Equatable {
    /// A probe and what the reference computed on it, element by element.
    public struct Probe<T: Sendable & Equatable>: Sendable, Equatable {
        public let inputs: [T]
        public let outputs: [T]

        public init(inputs: [T], outputs: [T]) {
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    /// `/fingerprints/sqrt_float32`: `torch.sqrt` of a float32 tensor.
    public let sqrtFloat32: Probe<Float>?
    /// `/fingerprints/sqrt_float64`: `torch.sqrt` of a float64 tensor.
    public let sqrtFloat64: Probe<Double>?

    /// The datasets the group may hold, each `[2, n]`: the probe, then the reference's results.
    public static let names = ["sqrt_float32", "sqrt_float64"]
    /// The most probes a fingerprint may hold.
    public static let maximumProbes = 65_536

    public init(sqrtFloat32: Probe<Float>? = nil, sqrtFloat64: Probe<Double>? = nil) {
        self.sqrtFloat32 = sqrtFloat32
        self.sqrtFloat64 = sqrtFloat64
    }
}
