import LockstepHDF5

extension FixtureCheck {
    /// The optional `/fingerprints` group (format extension 17): for each of
    /// ``FixtureFingerprints/names``, a `[2, n]` dataset of the type its name says, row 0
    /// the probe inputs and row 1 what the reference returned; no other member.
    func fingerprints(_ root: HDF5Group) throws -> FixtureFingerprints {
        guard try root.childKind("fingerprints") != nil else { return FixtureFingerprints() }
        let group = try root.group("fingerprints")
        for name in try group.childNames().sorted() where !FixtureFingerprints.names.contains(name) {
            throw error(
                "\(group.path)/\(name)",
                "unknown fingerprint; known: \(FixtureFingerprints.names.joined(separator: ", "))")
        }
        return FixtureFingerprints(
            sqrtFloat32: try probe(group, "sqrt_float32", as: Float.self, bits: 32),
            sqrtFloat64: try probe(group, "sqrt_float64", as: Double.self, bits: 64))
    }

    private func probe<T: HDF5Scalar & Sendable & Equatable>(
        _ group: HDF5Group, _ name: String, as _: T.Type, bits: Int
    ) throws -> FixtureFingerprints.Probe<T>? {
        guard try group.childKind(name) != nil else { return nil }
        let dataset = try group.dataset(name)
        guard dataset.storedType == .float(bits: bits) else {
            throw error(dataset.path, "holds \(dataset.storedType), expected float\(bits)")
        }
        guard dataset.shape.count == 2, dataset.shape[0] == 2, (1...FixtureFingerprints.maximumProbes).contains(dataset.shape[1])
        else {
            throw error(
                dataset.path,
                "shape \(dataset.shape), expected [2, n] with 1 ≤ n ≤ \(FixtureFingerprints.maximumProbes) (the probe, then its results)")
        }
        let values = try dataset.read(T.self)
        let n = dataset.shape[1]
        return FixtureFingerprints.Probe(inputs: Array(values[..<n]), outputs: Array(values[n...]))
    }
}
