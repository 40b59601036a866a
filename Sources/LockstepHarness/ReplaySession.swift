import LockstepFormat
import LockstepOptim

/// One replay in progress: the Swift parameters and optimizer, the fixture they replay,
/// and the comparisons so far. ``Replay`` drives it one step at a time; each step reads
/// one row of each dataset into reused buffers.
struct ReplaySession<T: TensorScalar & FixtureScalar> {
    let reader: FixtureReader
    let tolerance: Tolerance
    /// The Swift parameters, in the fixture's parameter order.
    let parameters: [Parameter<T>]
    let optimizer: any ReplayableOptimizer<T>
    /// The Swift scheduler the fixture's `scheduler` attribute describes; it drives the
    /// optimizer's learning rates (and momentum), which are checked against `/steps`.
    let scheduler: (any LRScheduler)?
    /// `/steps/lr`, then each scheduled hyperparameter: checked bit for bit when a
    /// scheduler is given.
    private(set) var scheduleComparisons: [TensorComparison] = []
    /// Per parameter: `param`, then each recorded state key.
    private(set) var comparisons: [[TensorComparison]]
    /// For each fixture group that has joined, its index in the optimizer.
    private var optimizerGroup: [Int: Int] = [:]
    /// Reused row buffers, one per row size: a parameter's rows and its scalar `step`'s
    /// alternate, and one buffer for both would be reallocated at every read.
    private var rows: [Int: [T]] = [:]
    private var mask: [Bool] = []

    private var header: FixtureHeader { reader.header }

    init(
        reader: FixtureReader, optimizers: OptimizerCatalog, cpuCapability: TorchCPUCapability?, tensorSqrt: TorchSqrt,
        parallelism: Parallelism, tolerance: Tolerance
    ) throws {
        self.reader = reader
        self.tolerance = tolerance
        parameters = try reader.parameters.map { try Parameter(shape: $0.shape, value: reader.initial($0, as: T.self)) }
        comparisons = reader.parameters.map { parameter in
            [TensorComparison(tensor: parameter.path + "/param")]
                + parameter.stateKeys.map { TensorComparison(tensor: parameter.path + "/state/\($0)") }
                + parameter.stateExistsKeys.map { TensorComparison(tensor: parameter.path + "/state_exists/\($0)") }
        }
        let header = reader.header
        let parameters = self.parameters
        let initial = header.paramGroups.enumerated().filter { $0.element.addedAtStep == 1 }
        optimizer = try optimizers.make(
            header.optimizer,
            groups: initial.map { (Self.members(of: $0.element, in: reader, parameters), $0.element.torchJSON) },
            cpuCapability: cpuCapability, tensorSqrt: tensorSqrt, parallelism: parallelism)
        for (position, (index, _)) in initial.enumerated() { optimizerGroup[index] = position }
        scheduler = try Self.makeScheduler(header.scheduler, on: optimizer)
        if scheduler != nil {
            scheduleComparisons = (["lr"] + reader.scheduledHyperparameters).map { TensorComparison(tensor: "/steps/\($0)") }
        }
        try checkStateKeys()
    }

    /// The scheduler described by `description`, constructed on the optimizer as torch's is.
    private static func makeScheduler(
        _ description: [String: JSONValue]?, on optimizer: any ReplayableOptimizer<T>
    ) throws -> (any LRScheduler)? {
        guard let description else { return nil }
        do {
            return try LRSchedulers.make(description, on: ScheduledGroups(optimizer))
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(object: "/", message: "scheduler rejects the fixture: \(error.message)")
        }
    }

    /// Adds the groups that join before `step` (`add_param_group`).
    mutating func addGroups(joiningAt step: Int) throws {
        guard step > 1 else { return }
        let joining = header.paramGroups.enumerated().filter { $0.element.addedAtStep == step }
        guard !joining.isEmpty else { return }
        for (index, group) in joining {
            try optimizer.addGroup(Self.members(of: group, in: reader, parameters), hyperparameters: group.torchJSON)
            optimizerGroup[index] = optimizerGroup.count
        }
        try checkStateKeys()
    }

    /// The learning rate (and scheduled hyperparameters) of step `step`: with a scheduler,
    /// the scheduler's, compared with `/steps`; without one, those recorded in `/steps`.
    mutating func applySchedule(step: Int) throws {
        if scheduler != nil {
            try compareSchedule(step: step)
        } else {
            try setRecordedSchedule(step: step)
        }
    }

    /// Advances the scheduler after the optimizer's step `step`, as a training loop does;
    /// `ReduceLROnPlateau` with the metric recorded for it (`/steps/metric`).
    func stepScheduler(after step: Int) throws {
        guard let scheduler else { return }
        do {
            if let plateau = scheduler as? ReduceLROnPlateau {
                guard let metric = try reader.metric(step: step) else {
                    throw ReplayError.invalidInput(object: "/steps/metric", message: "dataset not found (ReduceLROnPlateau needs it)")
                }
                try plateau.step(metric)
            } else {
                try scheduler.step()
            }
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(object: "/", message: "scheduler \(type(of: scheduler).torchName): \(error.message)")
        }
    }

    /// Sets each joined group's learning rate from `/steps/lr`, and the other scheduled
    /// hyperparameters from `/steps/<key>`, when recorded.
    private func setRecordedSchedule(step: Int) throws {
        if let rates = try reader.learningRates(step: step) {
            for (fixtureIndex, index) in optimizerGroup {
                guard !rates[fixtureIndex].isNaN else {
                    throw ReplayError.invalidInput(
                        object: "/steps/lr", message: "step \(step): group \(fixtureIndex) is in the optimizer but its lr is NaN")
                }
                try optimizer.setLearningRate(rates[fixtureIndex], group: index)
            }
        }
        // Groups that have not joined yet are NaN: only the joined ones are set.
        for key in reader.scheduledHyperparameters {
            let row = try reader.hyperparameters(key, step: step)
            let width = row.count / header.paramGroups.count
            for (fixtureIndex, index) in optimizerGroup {
                let values = Array(row[(fixtureIndex * width)..<((fixtureIndex + 1) * width)])
                guard !values.contains(where: \.isNaN) else {
                    throw ReplayError.invalidInput(
                        object: "/steps/\(key)", message: "step \(step): group \(fixtureIndex) is in the optimizer but its \(key) is NaN")
                }
                do {
                    try optimizer.setHyperparameter(key, to: values, group: index)
                } catch let error as OptimizerError {
                    throw ReplayError.invalidInput(object: "/steps/\(key)", message: "step \(step): \(error.message)")
                }
            }
        }
    }

    /// Compares the learning rates (and scheduled hyperparameters) the Swift scheduler
    /// set for step `step` with `/steps`, bit for bit. Groups not joined yet are NaN.
    private mutating func compareSchedule(step: Int) throws {
        let groupCount = header.paramGroups.count
        let keys = ["lr"] + reader.scheduledHyperparameters
        for (position, key) in keys.enumerated() {
            let expected = key == "lr" ? try reader.learningRates(step: step) ?? [] : try reader.hyperparameters(key, step: step)
            let width = expected.count / groupCount
            var actual = [Double](repeating: .nan, count: expected.count)
            for (fixtureIndex, index) in optimizerGroup {
                let values = key == "lr" ? [optimizer.learningRate(group: index)] : try optimizer.hyperparameter(key, group: index) ?? []
                guard values.count == width else {
                    throw ReplayError.invalidInput(
                        object: "/steps/\(key)", message: "holds \(width) value(s) per group, \(header.optimizer) has \(values.count)")
                }
                actual.replaceSubrange((fixtureIndex * width)..<((fixtureIndex + 1) * width), with: values)
            }
            let shape = width == 1 ? [groupCount] : [groupCount, width]
            scheduleComparisons[position].compare(actual: actual, expected: expected, shape: shape, step: step, tolerance: .exact)
        }
    }

    /// Sets each parameter's gradient for `step`, or none where `has_grad` is 0; sparse
    /// where the fixture records a `grad_mask`.
    mutating func setGradients(step: Int) throws {
        for (parameter, recorded) in zip(parameters, reader.parameters) {
            if recorded.hasGrad[step - 1] {
                // Read into the parameter's own gradient array, taken out so that it is
                // uniquely referenced: no allocation per step.
                var grad = parameter.grad ?? []
                try parameter.setGrad(nil)
                try reader.read(.grad, of: recorded, step: step, into: &grad)
                guard try reader.readGradMask(of: recorded, step: step, into: &mask) else {
                    try parameter.setGrad(grad)
                    continue
                }
                do {
                    try parameter.setGrad(grad, sparseMask: mask)
                } catch let error as OptimizerError {
                    throw ReplayError.invalidInput(object: recorded.path + "/grad_mask", message: "step \(step): \(error.message)")
                }
            } else {
                try parameter.setGrad(nil)
            }
        }
    }

    /// Teacher forcing: loads the recorded parameters and state after `step`.
    mutating func loadRecorded(step: Int) throws {
        for (parameter, recorded) in zip(parameters, reader.parameters) {
            try parameter.setValue(try readRow(.param, of: recorded, step: step))
            try loadState(.after(step: step), of: recorded, into: parameter)
        }
    }

    /// A recording that starts in the middle of training: loads the state recorded before
    /// step 1 (`initial_state`, format extension 13) as teacher forcing loads a step's.
    mutating func loadInitialState() throws {
        for (parameter, recorded) in zip(parameters, reader.parameters) {
            try loadState(.beforeFirstStep, of: recorded, into: parameter)
        }
    }

    /// Compares every recorded tensor after `step`.
    mutating func compare(step: Int) throws {
        for (index, (parameter, recorded)) in zip(parameters, reader.parameters).enumerated() {
            comparisons[index][0].compare(
                actual: parameter.value, expected: try readRow(.param, of: recorded, step: step), shape: recorded.shape,
                step: step, tolerance: tolerance)
            let state = optimizer.state(of: parameter)
            // A state entry the optimizer keeps must be recorded: one the file lacks would go
            // uncompared. (A parameter without state, such as LBFGS's after the first, has none.)
            if let state, let missing = state.keys.sorted().first(where: { !recorded.stateKeys.contains($0) }) {
                throw ReplayError.invalidInput(
                    object: recorded.path + "/state/\(missing)",
                    message: "dataset not found: \(header.optimizer) keeps '\(missing)' after step \(step), so the file must record it")
            }
            guard !recorded.stateKeys.isEmpty else { continue }
            for (keyIndex, key) in recorded.stateKeys.enumerated() {
                let buffer = try readRow(.state(key), of: recorded, step: step)
                if recorded.stateExists(key, after: step) == false, buffer.contains(where: { !$0.isNaN }) {
                    throw ReplayError.invalidInput(
                        object: recorded.path + "/state/\(key)",
                        message: "step \(step): state_exists says the entry does not exist, but its row holds numbers (expected NaN)")
                }
                // Before the state exists the recorded rows are NaN, and so is "actual".
                let actual = state?[key]?.flatValues ?? [T](repeating: .nan, count: buffer.count)
                guard actual.count == buffer.count else {
                    throw ReplayError.invalidInput(
                        object: recorded.path + "/state/\(key)",
                        message: "recorded rows hold \(buffer.count) elements, \(header.optimizer) keeps \(actual.count)")
                }
                comparisons[index][keyIndex + 1].compare(
                    actual: actual, expected: buffer, shape: recorded.stateShape(key) ?? [], step: step, tolerance: tolerance)
            }
            // Where the file says when an entry exists (extension 15), that is compared too:
            // an entry kept where torch has none, or missing where torch has one (all NaN).
            for (keyIndex, key) in recorded.stateExistsKeys.enumerated() {
                guard let expected = recorded.stateExists(key, after: step) else { continue }
                let actual = state?[key] != nil
                comparisons[index][1 + recorded.stateKeys.count + keyIndex].compare(
                    actual: [T(actual ? 1 : 0)], expected: [T(expected ? 1 : 0)], shape: [], step: step, tolerance: .exact)
            }
        }
    }

    /// The Swift and the recorded values of `tensor` (`/params/<name>/param` or
    /// `/params/<name>/state/<key>`) after `step`, the step last run; `nil` for another tensor.
    mutating func values(of tensor: String, step: Int) throws -> (actual: [T], expected: [T])? {
        for (parameter, recorded) in zip(parameters, reader.parameters) {
            if tensor == recorded.path + "/param" {
                return (parameter.value, try readRow(.param, of: recorded, step: step))
            }
            for key in recorded.stateKeys where tensor == recorded.path + "/state/\(key)" {
                let expected = try readRow(.state(key), of: recorded, step: step)
                let actual = optimizer.state(of: parameter)?[key]?.flatValues ?? [T](repeating: .nan, count: expected.count)
                return (actual, expected)
            }
        }
        return nil
    }

    /// Row `step` of a recorded series, read into the reused buffer for its size.
    private mutating func readRow(_ series: FixtureSeries, of recorded: FixtureParameter, step: Int) throws -> [T] {
        let shape: [Int] = switch series {
        case .param, .grad: recorded.shape
        case .state(let key): recorded.stateShape(key) ?? []
        }
        let count = shape.reduce(1, *)
        try reader.read(series, of: recorded, step: step, into: &rows[count, default: []])
        return rows[count] ?? []
    }

    /// The Swift parameters of a fixture group, in its order.
    private static func members(
        of group: FixtureHeader.ParamGroup, in reader: FixtureReader, _ parameters: [Parameter<T>]
    ) -> [Parameter<T>] {
        group.params.compactMap { name in reader.parameterIndex(named: name).map { parameters[$0] } }
    }

    /// A recorded state key the optimizer does not keep is an error, never skipped.
    private func checkStateKeys() throws {
        for (fixtureIndex, group) in header.paramGroups.enumerated() {
            guard let index = optimizerGroup[fixtureIndex] else { continue }
            let kept = Set(optimizer.stateKeys(group: index))
            for name in group.params {
                guard let parameter = reader.parameter(named: name) else { continue }
                for key in parameter.stateKeys where !kept.contains(key) {
                    throw ReplayError.invalidInput(
                        object: parameter.path + "/state/\(key)",
                        message: "\(header.optimizer) keeps no state '\(key)' (it keeps \(kept.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    /// Which recorded state to load: `initial_state`, or the row of `state` after a step.
    private enum RecordedState {
        case beforeFirstStep
        case after(step: Int)
    }

    /// Loads a recorded state. Rows written before the state existed are NaN; then the
    /// parameter has no state.
    private mutating func loadState(_ source: RecordedState, of recorded: FixtureParameter, into parameter: Parameter<T>) throws {
        let keys = switch source {
        case .beforeFirstStep: recorded.initialStateKeys
        case .after: recorded.stateKeys
        }
        guard !keys.isEmpty else { return }
        var entries: [String: StateValue<T>] = [:]
        var exists = false
        // Entries the file says do not exist after this step (extension 15).
        var absent: Set<String> = []
        for key in keys {
            let buffer = try stateRow(key, source, of: recorded)
            let explicit: Bool? = if case .after(let step) = source { recorded.stateExists(key, after: step) } else { nil }
            if explicit == false {
                absent.insert(key)
                continue
            }
            exists = exists || explicit == true || buffer.contains { !$0.isNaN }
            let shape = recorded.stateShape(key) ?? []
            entries[key] = shape.isEmpty ? .scalar(Double(buffer[0])) : .tensor(shape: shape, values: buffer)
        }
        // `step` is never NaN once the state exists; where it is recorded, it decides (unless
        // the file says outright whether it exists).
        if case .scalar(let value)? = entries["step"], !recorded.stateExistsKeys.contains("step") { exists = !value.isNaN }
        guard exists else {
            try optimizer.setState(nil, of: parameter)
            return
        }
        // Keys the fixture does not record keep the optimizer's own values.
        let merged = (optimizer.state(of: parameter) ?? [:]).merging(entries) { _, recorded in recorded }.filter { !absent.contains($0.key) }
        do {
            try optimizer.setState(merged, of: parameter)
        } catch let error as OptimizerError {
            switch source {
            case .beforeFirstStep:
                throw ReplayError.invalidInput(
                    object: recorded.path + "/initial_state", message: "cannot load the state before step 1: \(error.message)")
            case .after(let step):
                throw ReplayError.invalidInput(
                    object: recorded.path + "/state", message: "teacher forcing cannot load step \(step): \(error.message)")
            }
        }
    }

    /// The recorded row of state `key`, read into the reused buffer for its size.
    private mutating func stateRow(_ key: String, _ source: RecordedState, of recorded: FixtureParameter) throws -> [T] {
        switch source {
        case .after(let step):
            return try readRow(.state(key), of: recorded, step: step)
        case .beforeFirstStep:
            let count = (recorded.stateShape(key) ?? []).reduce(1, *)
            try reader.readInitialState(key, of: recorded, into: &rows[count, default: []])
            return rows[count] ?? []
        }
    }
}
