import LockstepHDF5

/// The checks of format v1, one function per part of the file. Each returns the parsed
/// part or throws a ``FixtureError`` naming the object at fault.
struct FixtureCheck {
    let file: String

    func error(_ object: String, _ message: String) -> FixtureError {
        FixtureError(file: file, object: object, message: message)
    }

    // MARK: Root attributes

    private func requiredString(_ root: HDF5Group, _ name: String) throws -> String {
        guard try root.hasAttribute(name) else { throw error("/", "missing required attribute '\(name)'") }
        return try root.stringAttribute(name)
    }

    private func requiredInteger(_ root: HDF5Group, _ name: String) throws -> Int64 {
        guard try root.hasAttribute(name) else { throw error("/", "missing required attribute '\(name)'") }
        return try root.integerAttribute(name)
    }

    private func optionalString(_ root: HDF5Group, _ name: String) throws -> String? {
        try root.hasAttribute(name) ? try root.stringAttribute(name) : nil
    }

    private func jsonObject(_ root: HDF5Group, _ name: String) throws -> [String: JSONValue]? {
        guard let text = try optionalString(root, name) else { return nil }
        let value = try json(text, attribute: name)
        guard let object = value.objectValue else { throw error("/", "attribute '\(name)' must be a JSON object") }
        return object
    }

    /// The JSON value of attribute `name`: invalid JSON, or JSON nested deeper than the
    /// decoder reads, is an error naming the attribute.
    private func json(_ text: String, attribute name: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch let tooDeep as JSONValue.NestingTooDeep {
            throw error("/", "attribute '\(name)' \(tooDeep)")
        } catch {
            throw self.error("/", "attribute '\(name)' is not valid JSON")
        }
    }

    func header(_ root: HDF5Group) throws -> FixtureHeader {
        let format = try requiredString(root, "format")
        guard format == "lockstep-golden" else {
            throw error("/", "attribute 'format' is '\(format)', expected 'lockstep-golden'")
        }
        let version = try requiredInteger(root, "format_version")
        guard version == 1 else { throw error("/", "unsupported format_version \(version); this reader knows 1") }
        let optimizer = try requiredString(root, "optimizer")
        guard !optimizer.isEmpty else { throw error("/", "attribute 'optimizer' is empty") }
        let dtype = try dtype(try requiredString(root, "dtype"))
        let steps = try requiredInteger(root, "steps")
        guard steps >= 1, steps <= Int64(Int32.max) else {
            throw error("/", "attribute 'steps' is \(steps), expected a count of at least 1")
        }
        // The reader holds a few numbers per step (has_grad, /steps/loss, closure_calls).
        guard Int(steps) <= HDF5Dataset.memoryBudget / 8 else {
            throw error(
                "/",
                "attribute 'steps' is \(steps): 8 bytes per step take more than the memory budget of \(HDF5Dataset.describeBytes(HDF5Dataset.memoryBudget)) (LOCKSTEP_MEMORY_BUDGET)")
        }
        let modeName = try requiredString(root, "mode")
        guard let mode = FixtureHeader.Mode(rawValue: modeName) else {
            throw error("/", "attribute 'mode' is '\(modeName)', expected 'replay' or 'closure'")
        }
        guard try root.hasAttribute("param_groups") else { throw error("/", "missing required attribute 'param_groups'") }
        let groups = try paramGroups(try root.stringAttribute("param_groups"), steps: Int(steps))
        guard let reference = try jsonObject(root, "reference") else {
            throw error("/", "missing required attribute 'reference'")
        }
        let seed: Int64? = try root.hasAttribute("seed") ? try root.integerAttribute("seed") : nil
        return FixtureHeader(
            formatVersion: Int(version), optimizer: optimizer, dtype: dtype, steps: Int(steps), mode: mode,
            paramGroups: groups, reference: .init(json: reference),
            tolerance: try tolerance(try jsonObject(root, "tolerance")),
            scheduler: try scheduler(try jsonObject(root, "scheduler")),
            description: try optionalString(root, "description"), caseName: try optionalString(root, "case"), seed: seed)
    }

    /// The `dtype` attribute: float32 or float64 (no complex, no half precision).
    func dtype(_ name: String) throws -> FixtureHeader.DType {
        guard let dtype = FixtureHeader.DType(rawValue: name) else {
            throw error("/", "attribute 'dtype' is '\(name)', expected 'float32' or 'float64'")
        }
        return dtype
    }

    /// The root attribute `content_digest` (format extension 18): absent, or `"crc32c"`, which
    /// promises the attribute `crc32c` on every dataset that holds an element. Returns whether
    /// the file makes that promise.
    func contentDigest(_ root: HDF5Group) throws -> Bool {
        guard let algorithm = try optionalString(root, "content_digest") else { return false }
        guard algorithm == HDF5ContentDigest.attributeName else {
            throw error(
                "/",
                "attribute 'content_digest' is '\(algorithm)', a digest this reader does not know (it checks '\(HDF5ContentDigest.attributeName)')")
        }
        return true
    }

    func paramGroups(_ text: String, steps: Int) throws -> [FixtureHeader.ParamGroup] {
        let value = try json(text, attribute: "param_groups")
        guard let array = value.arrayValue, !array.isEmpty else {
            throw error("/", "attribute 'param_groups' must be a non-empty JSON array of groups")
        }
        var seen = Set<String>()
        return try array.enumerated().map { index, entry in
            let place = "attribute 'param_groups', group \(index)"
            guard var object = entry.objectValue else { throw error("/", "\(place) is not a JSON object") }
            guard let names = object.removeValue(forKey: "params")?.arrayValue else {
                throw error("/", "\(place) has no \"params\" list")
            }
            var own = Set<String>()
            let params = try names.map { name -> String in
                guard let name = name.stringValue, !name.isEmpty, !name.contains("/") else {
                    throw error("/", "\(place) lists a parameter name that is not a non-empty string without '/'")
                }
                guard own.insert(name).inserted else {
                    throw error("/", "\(place) lists parameter '\(name)' twice (torch: a parameter group with duplicate parameters)")
                }
                guard seen.insert(name).inserted else {
                    throw error(
                        "/",
                        "\(place) lists parameter '\(name)', which is already in an earlier group "
                            + "(torch: some parameters appear in more than one parameter group)")
                }
                return name
            }
            var addedAt = 1
            if let added = object.removeValue(forKey: "added_at_step") {
                guard let step = added.integerValue, step >= 1, step <= steps else {
                    throw error("/", "\(place) has added_at_step \(added), expected a step in 1...\(steps)")
                }
                if index == 0, step != 1 {
                    throw error("/", "\(place): the first group must be present from step 1")
                }
                addedAt = step
            }
            let tensors = try tensorHyperparameters(object.removeValue(forKey: FixtureHeader.ParamGroup.tensorHyperparametersKey),
                                                    of: object, place: place)
            return .init(params: params, hyperparameters: object, addedAtStep: addedAt, tensorHyperparameters: tensors)
        }
    }

    /// Extension 16: a group's `"tensor_hyperparameters"`, a non-empty object from each
    /// hyperparameter that is a 0-dim tensor to its dtype; the group holds the value as a
    /// number of that dtype.
    func tensorHyperparameters(
        _ value: JSONValue?, of group: [String: JSONValue], place: String
    ) throws -> [String: FixtureHeader.DType] {
        guard let value else { return [:] }
        let key = FixtureHeader.ParamGroup.tensorHyperparametersKey
        guard let object = value.objectValue, !object.isEmpty else {
            throw error("/", "\(place): \"\(key)\" must be a non-empty JSON object from a hyperparameter to \"float32\" or \"float64\"")
        }
        var out: [String: FixtureHeader.DType] = [:]
        for (name, dtypeValue) in object.sorted(by: { $0.key < $1.key }) {
            guard let text = dtypeValue.stringValue, let dtype = FixtureHeader.DType(rawValue: text) else {
                throw error("/", "\(place): \"\(key)\" gives '\(name)' the dtype \(dtypeValue), expected \"float32\" or \"float64\"")
            }
            guard let held = group[name] else {
                throw error("/", "\(place): \"\(key)\" names '\(name)', which the group does not hold")
            }
            guard let number = held.numberValue else {
                throw error("/", "\(place): '\(name)' is a 0-dim \(text) tensor, but the group holds \(held), not a number")
            }
            if dtype == .float32, number.isFinite, Double(Float(number)) != number {
                throw error("/", "\(place): '\(name)' is a 0-dim float32 tensor, but \(held) is not a float32 value")
            }
            out[name] = dtype
        }
        return out
    }

    func tolerance(_ object: [String: JSONValue]?) throws -> FixtureHeader.Tolerance? {
        guard let object else { return nil }
        func bound(_ key: String) throws -> Double? {
            guard let value = object[key] else { return nil }
            guard let number = value.numberValue, number >= 0, number.isFinite else {
                throw error("/", "attribute 'tolerance': \"\(key)\" must be a non-negative number, not \(value)")
            }
            return number
        }
        let ulp = try bound("max_ulp")
        if let ulp, ulp.rounded() != ulp { throw error("/", "attribute 'tolerance': \"max_ulp\" must be a whole number") }
        // 2^64 and beyond do not fit UInt64 (whose largest value is 2^64 − 1, and 2^64 as a Double).
        if let ulp, ulp >= 0x1p64 {
            throw error("/", "attribute 'tolerance': \"max_ulp\" is \(ulp), more than the largest count of ULPs (\(UInt64.max))")
        }
        return .init(rtol: try bound("rtol"), atol: try bound("atol"), maxULP: ulp.map { UInt64($0) })
    }

    func scheduler(_ object: [String: JSONValue]?) throws -> [String: JSONValue]? {
        guard let object else { return nil }
        guard object["name"]?.stringValue != nil else { throw error("/", "attribute 'scheduler' has no \"name\"") }
        return object
    }

    // MARK: /params

    func parameters(_ root: HDF5Group, header: FixtureHeader) throws -> [FixtureParameter] {
        let params = try root.group("params")
        let order = header.parameterOrder
        let present = Set(try params.childNames())
        let named = Set(order)
        for name in present.sorted() where !named.contains(name) {
            throw error("/params/\(name)", "parameter is not named in param_groups")
        }
        var joinsAt: [String: Int] = [:]
        for group in header.paramGroups { for name in group.params { joinsAt[name] = group.addedAtStep } }
        return try order.enumerated().map { position, name in
            guard present.contains(name) else { throw error("/params/\(name)", "group not found (named in param_groups)") }
            return try parameter(
                try params.group(name), name: name, position: position, joinsAt: joinsAt[name] ?? 1, header: header)
        }
    }

    func floatDataset(_ dataset: HDF5Dataset, header: FixtureHeader) throws -> HDF5Dataset {
        guard dataset.storedType == header.dtype.storedType else {
            throw error(dataset.path, "holds \(dataset.storedType), but the file's dtype is \(header.dtype.rawValue)")
        }
        return dataset
    }

    /// Checks a `[N, ...]` dataset: its step axis, and one chunk per step when rows hold more than one element.
    private func stepSeries(_ dataset: HDF5Dataset, header: FixtureHeader, rowShape: [Int]? = nil) throws -> HDF5Dataset {
        guard dataset.shape.first == header.steps else {
            throw error(dataset.path, "shape \(dataset.shape) has no leading step axis of \(header.steps) (attribute 'steps')")
        }
        if let rowShape, Array(dataset.shape.dropFirst()) != rowShape {
            throw error(dataset.path, "shape \(dataset.shape) disagrees with initial \(rowShape); expected \([header.steps] + rowShape)")
        }
        let rowCount = dataset.shape.dropFirst().reduce(1, *)
        if rowCount > 1, !(try dataset.isChunkedByRow) {
            throw error(dataset.path, "is not chunked one step per chunk, so it cannot be streamed")
        }
        return dataset
    }

    private func parameter(
        _ group: HDF5Group, name: String, position: Int, joinsAt: Int, header: FixtureHeader
    ) throws -> FixtureParameter {
        guard try group.hasAttribute("index") else { throw error(group.path, "missing required attribute 'index'") }
        let index = try group.integerAttribute("index")
        guard index == position else {
            throw error(group.path, "attribute 'index' is \(index), but param_groups puts the parameter at position \(position)")
        }
        let initial = try floatDataset(try group.dataset("initial"), header: header)
        let shape = initial.shape
        let param = try stepSeries(try floatDataset(try group.dataset("param"), header: header), header: header, rowShape: shape)
        var grad: HDF5Dataset?
        switch (header.mode, try group.childKind("grad")) {
        case (.replay, _):
            grad = try stepSeries(try floatDataset(try group.dataset("grad"), header: header), header: header, rowShape: shape)
        case (.closure, nil): grad = nil
        case (.closure, _): throw error(group.path + "/grad", "must be absent in closure mode (the closure computes gradients)")
        }
        var hasGrad = [Bool](repeating: true, count: header.steps)
        if try group.childKind("has_grad") != nil {
            let dataset = try group.dataset("has_grad")
            guard dataset.storedType.isInteger else { throw error(dataset.path, "holds \(dataset.storedType), expected uint8") }
            guard dataset.shape == [header.steps] else {
                throw error(dataset.path, "shape \(dataset.shape), expected [\(header.steps)]")
            }
            hasGrad = try flags(dataset)
        }
        let gradMask = try sparseGradMask(group, header: header, shape: shape)
        var state: [String: HDF5Dataset] = [:]
        if try group.childKind("state") != nil {
            let stateGroup = try group.group("state")
            for key in try stateGroup.childNames() {
                let dataset = try floatDataset(try stateGroup.dataset(key), header: header)
                state[key] = try stepSeries(dataset, header: header)
            }
        }
        return FixtureParameter(
            name: name, index: position, shape: shape, hasGrad: hasGrad, stateKeys: state.keys.sorted(),
            initial: initial, grad: grad, gradMask: gradMask, param: param, state: state,
            initialState: try initialState(group, header: header, state: state, joinsAt: joinsAt),
            evaluations: try evaluations(group, header: header, shape: shape),
            stateExists: try stateExists(group, header: header, state: state))
    }

    /// The optional `grad_mask` (our extension): `[N, *S]` integers, 1 where the step's
    /// sparse gradient holds an entry; only beside a recorded `grad`. Its values are
    /// checked as rows are read.
    private func sparseGradMask(_ group: HDF5Group, header: FixtureHeader, shape: [Int]) throws -> HDF5Dataset? {
        guard try group.childKind("grad_mask") != nil else { return nil }
        let dataset = try group.dataset("grad_mask")
        guard header.mode == .replay else {
            throw error(dataset.path, "must be absent in closure mode (it describes recorded gradients)")
        }
        guard dataset.storedType.isInteger else { throw error(dataset.path, "holds \(dataset.storedType), expected uint8") }
        return try stepSeries(dataset, header: header, rowShape: shape)
    }

    /// The values of an `[N]` or `[E]` integer dataset of flags (`has_grad`, `state_exists`),
    /// each of which must be 0 or 1. Read as `Int64`, which holds every stored integer type's
    /// values (HDF5 would clip an int8 −1 read as uint8 to 0, a flag like any other).
    func flags(_ dataset: HDF5Dataset) throws -> [Bool] {
        let values = try dataset.read(Int64.self)
        if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw error(dataset.path, "row \(bad) is \(values[bad]), expected 0 or 1")
        }
        return values.map { $0 == 1 }
    }

    // MARK: /steps

    /// The datasets of `/steps`: `lr`, the scheduled hyperparameters, the metric, and
    /// closure mode's two.
    struct Steps {
        var lr: HDF5Dataset?
        var hyperparameters: [String: HDF5Dataset] = [:]
        var metric: HDF5Dataset?
        var loss: HDF5Dataset?
        var calls: HDF5Dataset?
    }

    /// The hyperparameters besides `lr` that a scheduler may change every step, with the
    /// shape of one group's value: `momentum` a number, `betas` a pair.
    static let scheduledHyperparameters: [String: [Int]] = ["momentum": [], "betas": [2]]

    /// The scheduler whose `step` takes the metric, so that its fixtures need `/steps/metric`.
    static let metricScheduler = "ReduceLROnPlateau"

    func steps(_ root: HDF5Group, header: FixtureHeader) throws -> Steps {
        let hasSteps = try root.childKind("steps") != nil
        if !hasSteps {
            if header.mode == .closure { throw error("/steps", "group not found (required in closure mode)") }
            if header.scheduler != nil { throw error("/steps/lr", "dataset not found (the 'scheduler' attribute needs it)") }
            return Steps()
        }
        let steps = try root.group("steps")
        func optional(_ name: String) throws -> HDF5Dataset? {
            try steps.childKind(name) != nil ? try steps.dataset(name) : nil
        }
        let lr = try optional("lr")
        if let lr {
            guard lr.storedType == .float(bits: 64) else { throw error(lr.path, "holds \(lr.storedType), expected float64") }
            _ = try stepSeries(lr, header: header, rowShape: [header.paramGroups.count])
        } else if header.scheduler != nil {
            throw error("/steps/lr", "dataset not found (the 'scheduler' attribute needs it)")
        }
        var hyperparameters: [String: HDF5Dataset] = [:]
        for (key, valueShape) in Self.scheduledHyperparameters.sorted(by: { $0.key < $1.key }) {
            guard let dataset = try optional(key) else { continue }
            guard dataset.storedType == .float(bits: 64) else {
                throw error(dataset.path, "holds \(dataset.storedType), expected float64")
            }
            hyperparameters[key] = try stepSeries(dataset, header: header, rowShape: [header.paramGroups.count] + valueShape)
        }
        let metric = try optional("metric")
        if let metric {
            guard metric.storedType == .float(bits: 64), metric.shape == [header.steps] else {
                throw error(metric.path, "must be [\(header.steps)] float64, is \(metric.shape) \(metric.storedType)")
            }
        } else if header.scheduler?["name"]?.stringValue == Self.metricScheduler {
            throw error("/steps/metric", "dataset not found (the '\(Self.metricScheduler)' scheduler needs it)")
        }
        var loss: HDF5Dataset?
        var calls: HDF5Dataset?
        if header.mode == .closure {
            guard let found = try optional("loss") else { throw error("/steps/loss", "dataset not found (required in closure mode)") }
            guard found.storedType.isFloatingPoint, found.shape == [header.steps] else {
                throw error(found.path, "must be [\(header.steps)] float64, is \(found.shape) \(found.storedType)")
            }
            guard let count = try optional("closure_calls") else {
                throw error("/steps/closure_calls", "dataset not found (required in closure mode)")
            }
            guard count.storedType.isInteger, count.shape == [header.steps] else {
                throw error(count.path, "must be [\(header.steps)] int64, is \(count.shape) \(count.storedType)")
            }
            (loss, calls) = (found, count)
        }
        return Steps(lr: lr, hyperparameters: hyperparameters, metric: metric, loss: loss, calls: calls)
    }

    // MARK: /objective

    /// The objective a closure-mode file carries, unless it records the closure's
    /// evaluations instead (extension 12): one of the two, never both. `nil` in replay mode,
    /// where `/objective` must be absent.
    func objective(_ root: HDF5Group, header: FixtureHeader, evaluations: FixtureEvaluations?) throws -> FixtureObjective? {
        let present = try root.childKind("objective") != nil
        switch (header.mode, present, evaluations != nil) {
        case (.replay, true, _): throw error("/objective", "is only allowed in closure mode")
        case (.replay, false, _), (.closure, false, true): return nil
        case (.closure, true, true):
            throw error("/objective", "must be absent when /evaluations records the closure calls (a file carries one or the other)")
        case (.closure, false, false):
            throw error(
                "/objective",
                "group not found: closure mode needs /objective or the recorded closure calls (/evaluations/loss and /params/<name>/evaluations)")
        case (.closure, true, false): return try objective(try root.group("objective"), header: header)
        }
    }

    private func objective(_ group: HDF5Group, header: FixtureHeader) throws -> FixtureObjective {
        guard try group.hasAttribute("kind") else { throw error(group.path, "missing required attribute 'kind'") }
        let kind = try group.stringAttribute("kind")
        func data(_ name: String, rank: Int) throws -> (values: [Double], shape: [Int]) {
            let dataset = try floatDataset(try group.dataset(name), header: header)
            guard dataset.shape.count == rank else { throw error(dataset.path, "shape \(dataset.shape) must have rank \(rank)") }
            return (try dataset.read(Double.self), dataset.shape)
        }
        func number(_ name: String, default value: Double?) throws -> Double {
            if try group.hasAttribute(name) { return try group.doubleAttribute(name) }
            guard let value else { throw error(group.path, "missing required attribute '\(name)'") }
            return value
        }
        switch kind {
        case "quadratic":
            let (a, aShape) = try data("A", rank: 2)
            let (b, bShape) = try data("b", rank: 1)
            guard aShape[0] == aShape[1], aShape[0] == bShape[0], bShape[0] > 0 else {
                throw error(group.path + "/A", "shape \(aShape) must be [n, n] with b of shape [n], n ≥ 1; b is \(bShape)")
            }
            return .quadratic(a: a, b: b, n: bShape[0])
        case "rosenbrock":
            return .rosenbrock(a: try number("a", default: 1), b: try number("b", default: 100))
        case "logistic_regression":
            let (x, xShape) = try data("X", rank: 2)
            guard xShape[0] > 0, xShape[1] > 0 else {
                throw error(group.path + "/X", "shape \(xShape) has no \(xShape[0] == 0 ? "rows" : "columns"); the loss averages over at least one row of at least one feature")
            }
            let (y, yShape) = try data("y", rank: 1)
            guard xShape[0] == yShape[0] else {
                throw error(group.path + "/y", "shape \(yShape) disagrees with X \(xShape): expected [\(xShape[0])]")
            }
            guard y.allSatisfy({ $0 == 1 || $0 == -1 }) else { throw error(group.path + "/y", "labels must be -1 or +1") }
            return .logisticRegression(x: x, y: y, l2: try number("l2", default: nil), m: xShape[0], n: xShape[1])
        default:
            throw error(group.path, "unknown objective kind '\(kind)'; known: \(FixtureObjective.kinds.joined(separator: ", "))")
        }
    }
}
