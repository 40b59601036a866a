import LockstepFormat
import LockstepOptim

/// Replays a fixture through the Swift optimizer it names and compares every recorded
/// tensor at every step.
///
/// The fixture is streamed: each step reads one row of each dataset into buffers that are
/// reused, so memory is constant in the number of steps.
public struct Replay: Sendable {
    public var tolerance: Tolerance
    public var teacherForcing: Bool

    public init(tolerance: Tolerance, teacherForcing: Bool = false) {
        self.tolerance = tolerance
        self.teacherForcing = teacherForcing
    }

    /// Verifies the fixture opened in `reader`.
    ///
    /// - Throws: ``ReplayError`` when the fixture cannot be replayed; a mismatch is not an
    ///   error but a failed ``VerificationResult``.
    public func run(_ reader: FixtureReader) throws -> VerificationResult {
        do {
            switch reader.header.dtype {
            case .float32: return try run(reader, as: Float.self)
            case .float64: return try run(reader, as: Double.self)
            }
        } catch let error as FixtureError {
            throw ReplayError.fixture(error)
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(object: "/", message: "\(reader.header.optimizer) rejects the fixture: \(error.message)")
        }
    }

    private func run<T: TensorScalar & FixtureScalar>(_ reader: FixtureReader, as _: T.Type) throws -> VerificationResult {
        let header = reader.header
        guard header.mode == .replay else {
            throw ReplayError.invalidInput(object: "/", message: "closure-mode replay is not supported yet (mode 'closure')")
        }
        let capability = try cpuCapability(header)
        try checkImplementation(header)
        let fixtureParams = reader.parameters
        let parameters = try fixtureParams.map { try Parameter(shape: $0.shape, value: reader.initial($0, as: T.self)) }
        let groupOf = Dictionary(uniqueKeysWithValues: header.paramGroups.enumerated().flatMap { index, group in
            group.params.map { ($0, index) }
        })
        func members(_ group: FixtureHeader.ParamGroup) -> [Parameter<T>] {
            group.params.compactMap { name in fixtureParams.firstIndex { $0.name == name }.map { parameters[$0] } }
        }

        let initialGroups = header.paramGroups.filter { $0.addedAtStep == 1 }
        let optimizer: any ReplayableOptimizer<T> = try OptimizerRegistry.make(
            header.optimizer, groups: initialGroups.map { (members($0), $0.hyperparameters) }, cpuCapability: capability)
        // The optimizer's group index of each fixture group, once added.
        var optimizerGroup: [Int: Int] = [:]
        for (index, group) in header.paramGroups.enumerated() where group.addedAtStep == 1 {
            optimizerGroup[index] = optimizerGroup.count
        }

        var comparisons: [[TensorComparison]] = fixtureParams.map { parameter in
            [TensorComparison(tensor: parameter.path + "/param")]
                + parameter.stateKeys.map { TensorComparison(tensor: parameter.path + "/state/\($0)") }
        }
        var expected: [T] = []
        var grad: [T] = []

        for step in 1...header.steps {
            // Groups that join now, through add_param_group.
            for (index, group) in header.paramGroups.enumerated() where group.addedAtStep == step && step > 1 {
                try optimizer.addGroup(members(group), hyperparameters: group.hyperparameters)
                optimizerGroup[index] = optimizerGroup.count
            }
            try checkStateKeys(reader, optimizer: optimizer, groupOf: groupOf, optimizerGroup: optimizerGroup)
            if let rates = try reader.learningRates(step: step) {
                for (fixtureIndex, index) in optimizerGroup {
                    guard !rates[fixtureIndex].isNaN else {
                        throw ReplayError.invalidInput(
                            object: "/steps/lr", message: "step \(step): group \(fixtureIndex) is in the optimizer but its lr is NaN")
                    }
                    try optimizer.setLearningRate(rates[fixtureIndex], group: index)
                }
            }
            if teacherForcing, step > 1 {
                for (parameter, recorded) in zip(parameters, fixtureParams) {
                    try reader.read(.param, of: recorded, step: step - 1, into: &expected)
                    try parameter.setValue(expected)
                    try loadState(reader, recorded, into: parameter, optimizer: optimizer, step: step - 1)
                }
            }
            for (parameter, recorded) in zip(parameters, fixtureParams) {
                if recorded.hasGrad[step - 1] {
                    try reader.read(.grad, of: recorded, step: step, into: &grad)
                    try parameter.setGrad(grad)
                } else {
                    try parameter.setGrad(nil)
                }
            }
            try optimizer.step()
            for (index, (parameter, recorded)) in zip(parameters, fixtureParams).enumerated() {
                try reader.read(.param, of: recorded, step: step, into: &expected)
                comparisons[index][0].compare(
                    actual: parameter.value, expected: expected, shape: recorded.shape, step: step, tolerance: tolerance)
                let state = optimizer.state(of: parameter)
                for (keyIndex, key) in recorded.stateKeys.enumerated() {
                    try reader.read(.state(key), of: recorded, step: step, into: &expected)
                    let actual = state?[key]?.flatValues ?? [T](repeating: .nan, count: expected.count)
                    guard actual.count == expected.count else {
                        throw ReplayError.invalidInput(
                            object: recorded.path + "/state/\(key)",
                            message: "recorded rows hold \(expected.count) elements, \(header.optimizer) keeps \(actual.count)")
                    }
                    comparisons[index][keyIndex + 1].compare(
                        actual: actual, expected: expected, shape: recorded.stateShape(key) ?? [], step: step,
                        tolerance: tolerance)
                }
            }
        }
        return VerificationResult(
            fixture: reader.path, optimizer: header.optimizer, dtype: header.dtype.rawValue,
            implementation: header.reference.implementation, cpuCapability: header.reference.cpuCapability,
            steps: header.steps, mode: teacherForcing ? .teacherForced : .freeRunning, tolerance: tolerance,
            tensors: comparisons.flatMap { $0 })
    }

    /// The capability the reference ran with; `nil` (the optimizer's default) when unrecorded.
    private func cpuCapability(_ header: FixtureHeader) throws -> TorchCPUCapability? {
        guard let name = header.reference.cpuCapability else { return nil }
        guard let capability = TorchCPUCapability(rawValue: name.uppercased()) else {
            // Fused kernels depend on it bit for bit; other paths replay within tolerance anyway.
            if header.reference.implementation == "fused" {
                throw ReplayError.invalidInput(
                    object: "/",
                    message: "reference cpu_capability '\(name)' is not reproducible; known: "
                        + TorchCPUCapability.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return nil
        }
        return capability
    }

    /// The groups' `fused` flags select the path that replays them; they must agree with
    /// the implementation the reference says it ran.
    private func checkImplementation(_ header: FixtureHeader) throws {
        guard let implementation = header.reference.implementation else { return }
        for (index, group) in header.paramGroups.enumerated() {
            guard let flag = group.hyperparameters["fused"] else { continue }
            let fused = flag.boolValue == true
            if fused != (implementation == "fused") {
                throw ReplayError.invalidInput(
                    object: "/",
                    message: "reference implementation '\(implementation)' disagrees with param group \(index), which has fused=\(flag)")
            }
        }
    }

    /// A recorded state key the optimizer does not keep is an error, never skipped.
    private func checkStateKeys<T>(
        _ reader: FixtureReader, optimizer: any ReplayableOptimizer<T>, groupOf: [String: Int], optimizerGroup: [Int: Int]
    ) throws {
        for parameter in reader.parameters {
            guard let fixtureGroup = groupOf[parameter.name], let group = optimizerGroup[fixtureGroup] else { continue }
            let kept = Set(optimizer.stateKeys(group: group))
            for key in parameter.stateKeys where !kept.contains(key) {
                throw ReplayError.invalidInput(
                    object: parameter.path + "/state/\(key)",
                    message: "\(reader.header.optimizer) keeps no state '\(key)' (it keeps \(kept.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// Teacher forcing: loads the recorded state of `step` into the optimizer. Rows written
    /// before the state existed are NaN; then the parameter has no state.
    private func loadState<T: TensorScalar & FixtureScalar>(
        _ reader: FixtureReader, _ recorded: FixtureParameter, into parameter: Parameter<T>,
        optimizer: any ReplayableOptimizer<T>, step: Int
    ) throws {
        guard !recorded.stateKeys.isEmpty else { return }
        var entries: [String: StateValue<T>] = [:]
        var row: [T] = []
        var exists = false
        for key in recorded.stateKeys {
            try reader.read(.state(key), of: recorded, step: step, into: &row)
            exists = exists || row.contains { !$0.isNaN }
            let shape = recorded.stateShape(key) ?? []
            entries[key] = shape.isEmpty ? .scalar(Double(row[0])) : .tensor(shape: shape, values: row)
        }
        // `step` is never NaN once the state exists; it decides where it is recorded.
        if case .scalar(let value)? = entries["step"] { exists = !value.isNaN }
        guard exists else {
            try optimizer.setState(nil, of: parameter)
            return
        }
        // Keys the fixture does not record keep the optimizer's own values.
        let merged = (optimizer.state(of: parameter) ?? [:]).merging(entries) { _, recorded in recorded }
        do {
            try optimizer.setState(merged, of: parameter)
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(
                object: recorded.path + "/state",
                message: "teacher forcing cannot load step \(step): \(error.message)")
        }
    }
}
