import LockstepHDF5

/// The checks of format extension 12: a closure-mode file that records every closure call
/// torch made instead of an objective.
extension FixtureCheck {
    /// A parameter's `evaluations/` group: `param` and `grad`, `[E, *S]` in the file's dtype
    /// and chunked one call per chunk when a row holds more than one element, and the
    /// optional `has_grad`, `[E]` integers that are 0 or 1. `E` is checked against
    /// `/steps/closure_calls` once `/steps` is read (``evaluations(_:header:parameters:steps:)``).
    func evaluations(_ group: HDF5Group, header: FixtureHeader, shape: [Int]) throws -> FixtureParameter.Evaluations? {
        guard try group.childKind("evaluations") != nil else { return nil }
        let evaluations = try group.group("evaluations")
        guard header.mode == .closure else {
            throw error(evaluations.path, "must be absent in replay mode (it records closure calls)")
        }
        func series(_ name: String) throws -> HDF5Dataset {
            let dataset = try floatDataset(try evaluations.dataset(name), header: header)
            guard !dataset.shape.isEmpty, Array(dataset.shape.dropFirst()) == shape else {
                let expected = "[" + (["E"] + shape.map { "\($0)" }).joined(separator: ", ") + "]"
                throw error(dataset.path, "shape \(dataset.shape) disagrees with initial \(shape); expected \(expected), a row per closure call")
            }
            if shape.reduce(1, *) > 1, !(try dataset.isChunkedByRow) {
                throw error(dataset.path, "is not chunked one closure call per chunk, so it cannot be streamed")
            }
            return dataset
        }
        let param = try series("param")
        let grad = try series("grad")
        var hasGrad: [Bool]?
        if try evaluations.childKind("has_grad") != nil {
            let dataset = try evaluations.dataset("has_grad")
            guard dataset.storedType.isInteger, dataset.shape.count == 1 else {
                throw error(dataset.path, "must be [E] uint8, is \(dataset.shape) \(dataset.storedType)")
            }
            hasGrad = try flags(dataset)
        }
        return .init(param: param, grad: grad, hasGrad: hasGrad)
    }

    /// `/evaluations/loss`, `[E]` float64, present exactly when the parameters record their
    /// `evaluations/` (then every parameter does), with `E` the sum of
    /// `/steps/closure_calls` for it and for every parameter's series. `nil` when the file
    /// records no closure calls; only closure mode may record them.
    func evaluations(
        _ root: HDF5Group, header: FixtureHeader, parameters: [FixtureParameter], steps: Steps
    ) throws -> FixtureEvaluations? {
        let group = try root.childKind("evaluations") != nil ? try root.group("evaluations") : nil
        if header.mode == .replay, let group { throw error(group.path, "is only allowed in closure mode") }
        let recording = parameters.first { $0.hasEvaluations }
        guard let group else {
            if let recording {
                throw error("/evaluations/loss", "dataset not found (\(recording.path)/evaluations records closure calls)")
            }
            return nil
        }
        let loss = try group.dataset("loss")
        if let missing = parameters.first(where: { !$0.hasEvaluations }) {
            throw error(missing.path + "/evaluations", "group not found (/evaluations/loss records closure calls, so every parameter records them)")
        }
        guard loss.storedType == .float(bits: 64), loss.shape.count == 1 else {
            throw error(loss.path, "must be [E] float64, is \(loss.shape) \(loss.storedType)")
        }
        guard let calls = steps.calls else { throw error("/steps/closure_calls", "dataset not found (required in closure mode)") }
        let counts = try calls.read(Int64.self)
        var total: Int64 = 0
        for (row, count) in counts.enumerated() {
            guard count >= 0 else { throw error(calls.path, "row \(row) is \(count), expected a count of at least 0") }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow, sum <= Int64(Int32.max) else {
                throw error(calls.path, "sums to more than \(Int32.max) closure calls")
            }
            total = sum
        }
        let expected = Int(total)
        func rows(_ object: String, _ count: Int) throws {
            guard count == expected else {
                throw error(object, "has \(count) rows, /steps/closure_calls sums to \(expected)")
            }
        }
        try rows(loss.path, loss.shape[0])
        for parameter in parameters {
            guard let recorded = parameter.evaluations else { continue }
            try rows(recorded.param.path, recorded.param.shape[0])
            try rows(recorded.grad.path, recorded.grad.shape[0])
            if let flags = recorded.hasGrad { try rows(parameter.path + "/evaluations/has_grad", flags.count) }
        }
        return FixtureEvaluations(callCounts: counts.map { Int($0) }, loss: loss)
    }
}
