import LockstepHDF5

/// A whole trajectory in memory, ready to be written as a fixture.
///
/// Lockstep's goldens are recorded from PyTorch by `tools/golden`; this type exists so that
/// tests can build small fixtures (valid and deliberately broken ones) and so that other
/// Swift tools can export trajectories in the same format.
public struct FixtureTrajectory<T: FixtureScalar>: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var shape: [Int]
        public var initial: [T]
        /// One row per step (replay mode); `nil` in closure mode.
        public var grad: [[T]]?
        /// Per step; `nil` writes no `has_grad` dataset (all steps have a gradient).
        public var hasGrad: [Bool]?
        /// Per step, the entries a sparse gradient holds; `nil` (dense) writes no `grad_mask`.
        public var gradMask: [[Bool]]?
        /// One row per step: the value after the step.
        public var param: [[T]]
        /// Per state key: the shape of one row, and one row per step.
        public var state: [String: (shape: [Int], rows: [[T]])]
        /// Per state key: the value before step 1 (format extension 13), shaped as a row of `state`.
        public var initialState: [String: [T]]
        /// The closure calls (format extension 12); `nil` writes no `evaluations/`.
        public var evaluations: Evaluations?

        public init(
            name: String, shape: [Int], initial: [T], grad: [[T]]?, hasGrad: [Bool]? = nil, gradMask: [[Bool]]? = nil,
            param: [[T]], state: [String: (shape: [Int], rows: [[T]])] = [:], initialState: [String: [T]] = [:],
            evaluations: Evaluations? = nil
        ) {
            self.name = name
            self.shape = shape
            self.initial = initial
            self.grad = grad
            self.hasGrad = hasGrad
            self.gradMask = gradMask
            self.param = param
            self.state = state
            self.initialState = initialState
            self.evaluations = evaluations
        }
    }

    /// A parameter at each closure call of the run, in call order (format extension 12).
    public struct Evaluations: Sendable {
        /// The parameter's value when the closure was called.
        public var param: [[T]]
        /// The gradient the closure left (NaN rows where it left none).
        public var grad: [[T]]
        /// Per call, whether the closure left a gradient; `nil` writes no `has_grad` (it always did).
        public var hasGrad: [Bool]?

        public init(param: [[T]], grad: [[T]], hasGrad: [Bool]? = nil) {
            self.param = param
            self.grad = grad
            self.hasGrad = hasGrad
        }
    }

    public var header: FixtureHeader
    /// In optimizer order.
    public var parameters: [Parameter]
    /// `/steps/lr`: per step, the learning rate of each group.
    public var learningRates: [[Double]]?
    /// `/steps/betas`, `/steps/momentum` (format extension 8): per step, each group's value,
    /// groups concatenated (`betas`: two numbers per group), keyed by the dataset name.
    public var scheduledHyperparameters: [String: [[Double]]]
    public var losses: [Double]?
    public var closureCalls: [Int64]?
    public var objective: FixtureObjective?
    /// `/evaluations/loss` (format extension 12): what each closure call returned, in call order.
    public var evaluationLosses: [Double]?

    public init(
        header: FixtureHeader, parameters: [Parameter], learningRates: [[Double]]? = nil,
        scheduledHyperparameters: [String: [[Double]]] = [:], losses: [Double]? = nil,
        closureCalls: [Int64]? = nil, objective: FixtureObjective? = nil, evaluationLosses: [Double]? = nil
    ) {
        self.header = header
        self.parameters = parameters
        self.learningRates = learningRates
        self.scheduledHyperparameters = scheduledHyperparameters
        self.losses = losses
        self.closureCalls = closureCalls
        self.objective = objective
        self.evaluationLosses = evaluationLosses
    }
}

/// Writes fixtures in format v1: to a temporary file beside the target, renamed into place
/// only when complete.
public enum FixtureWriter {
    /// Writes `trajectory` to `path`. Step datasets (and the series of closure calls) are
    /// chunked one row per chunk, other datasets in one chunk, all with fletcher32 checksums
    /// and content digests (format extension 18: attribute `crc32c`, root attribute
    /// `content_digest`); `compress` adds gzip with shuffle.
    public static func write<T: FixtureScalar>(_ trajectory: FixtureTrajectory<T>, to path: String, compress: Bool = false) throws {
        try translatingErrors {
            try HDF5File.write(to: path) { file in
                let root = try file.root
                try writeHeader(trajectory.header, to: root)
                let layout = HDF5DatasetLayout.chunked(byRow: true, compression: compress, checksum: true)
                let whole = HDF5DatasetLayout.chunked(byRow: false, compression: compress, checksum: true)
                let params = try root.createGroup("params")
                for (index, parameter) in trajectory.parameters.enumerated() {
                    let group = try params.createGroup(parameter.name)
                    try group.setAttribute("index", integer: Int64(index))
                    try group.createDataset("initial", shape: parameter.shape, values: parameter.initial, layout: whole, digest: true)
                    let steps = parameter.param.count
                    if let grad = parameter.grad {
                        try group.createDataset(
                            "grad", shape: [grad.count] + parameter.shape, values: grad.flatMap { $0 }, layout: layout, digest: true)
                    }
                    if let hasGrad = parameter.hasGrad {
                        try group.createDataset("has_grad", shape: [hasGrad.count], values: hasGrad.map { UInt8($0 ? 1 : 0) }, layout: whole, digest: true)
                    }
                    if let mask = parameter.gradMask {
                        try group.createDataset(
                            "grad_mask", shape: [mask.count] + parameter.shape,
                            values: mask.flatMap { $0 }.map { UInt8($0 ? 1 : 0) }, layout: layout, digest: true)
                    }
                    try group.createDataset(
                        "param", shape: [steps] + parameter.shape, values: parameter.param.flatMap { $0 }, layout: layout, digest: true)
                    if !parameter.state.isEmpty {
                        let state = try group.createGroup("state")
                        for (key, series) in parameter.state.sorted(by: { $0.key < $1.key }) {
                            try state.createDataset(
                                key, shape: [series.rows.count] + series.shape, values: series.rows.flatMap { $0 },
                                layout: layout, digest: true)
                        }
                    }
                    if !parameter.initialState.isEmpty {
                        let initialState = try group.createGroup("initial_state")
                        for (key, values) in parameter.initialState.sorted(by: { $0.key < $1.key }) {
                            let shape = parameter.state[key]?.shape ?? [values.count]
                            try initialState.createDataset(key, shape: shape, values: values, layout: whole, digest: true)
                        }
                    }
                    if let recorded = parameter.evaluations {
                        let evaluations = try group.createGroup("evaluations")
                        for (name, rows) in [("param", recorded.param), ("grad", recorded.grad)] {
                            try evaluations.createDataset(
                                name, shape: [rows.count] + parameter.shape, values: rows.flatMap { $0 }, layout: layout, digest: true)
                        }
                        if let hasGrad = recorded.hasGrad {
                            try evaluations.createDataset(
                                "has_grad", shape: [hasGrad.count], values: hasGrad.map { UInt8($0 ? 1 : 0) }, layout: whole, digest: true)
                        }
                    }
                }
                if trajectory.learningRates != nil || !trajectory.scheduledHyperparameters.isEmpty
                    || trajectory.losses != nil || trajectory.closureCalls != nil
                {
                    let steps = try root.createGroup("steps")
                    if let lr = trajectory.learningRates {
                        try steps.createDataset(
                            "lr", shape: [lr.count, lr.first?.count ?? 0], values: lr.flatMap { $0 }, layout: layout, digest: true)
                    }
                    for (key, rows) in trajectory.scheduledHyperparameters.sorted(by: { $0.key < $1.key }) {
                        // One row per step: [groups] for momentum, [groups, 2] for betas.
                        let groups = trajectory.header.paramGroups.count
                        let width = rows.first?.count ?? 0
                        let rowShape = key == "betas" ? [groups, groups == 0 ? 0 : width / groups] : [width]
                        try steps.createDataset(key, shape: [rows.count] + rowShape, values: rows.flatMap { $0 }, layout: layout, digest: true)
                    }
                    if let losses = trajectory.losses {
                        try steps.createDataset("loss", shape: [losses.count], values: losses, layout: whole, digest: true)
                    }
                    if let calls = trajectory.closureCalls {
                        try steps.createDataset("closure_calls", shape: [calls.count], values: calls, layout: whole, digest: true)
                    }
                }
                if let objective = trajectory.objective {
                    try writeObjective(objective, to: try root.createGroup("objective"), as: T.self)
                }
                if let losses = trajectory.evaluationLosses {
                    try root.createGroup("evaluations").createDataset("loss", shape: [losses.count], values: losses, layout: whole, digest: true)
                }
            }
        }
    }

    private static func writeHeader(_ header: FixtureHeader, to root: HDF5Group) throws {
        try root.setAttribute("format", string: "lockstep-golden")
        try root.setAttribute("format_version", integer: Int64(header.formatVersion))
        try root.setAttribute("content_digest", string: HDF5ContentDigest.attributeName)
        try root.setAttribute("optimizer", string: header.optimizer)
        try root.setAttribute("dtype", string: header.dtype.rawValue)
        try root.setAttribute("steps", integer: Int64(header.steps))
        try root.setAttribute("mode", string: header.mode.rawValue)
        let groups = JSONValue.array(header.paramGroups.map { group in
            var object = group.torchJSON
            object["params"] = .array(group.params.map { .string($0) })
            if group.addedAtStep != 1 { object["added_at_step"] = .number(Double(group.addedAtStep)) }
            return .object(object)
        })
        try root.setAttribute("param_groups", string: groups.jsonText)
        try root.setAttribute("reference", string: JSONValue.object(header.reference.json).jsonText)
        if let tolerance = header.tolerance {
            var object: [String: JSONValue] = [:]
            if let rtol = tolerance.rtol { object["rtol"] = .number(rtol) }
            if let atol = tolerance.atol { object["atol"] = .number(atol) }
            if let ulp = tolerance.maxULP { object["max_ulp"] = .number(Double(ulp)) }
            try root.setAttribute("tolerance", string: JSONValue.object(object).jsonText)
        }
        if let scheduler = header.scheduler {
            try root.setAttribute("scheduler", string: JSONValue.object(scheduler).jsonText)
        }
        if let description = header.description { try root.setAttribute("description", string: description) }
        if let name = header.caseName { try root.setAttribute("case", string: name) }
        if let seed = header.seed { try root.setAttribute("seed", integer: seed) }
    }

    private static func writeObjective<T: FixtureScalar>(_ objective: FixtureObjective, to group: HDF5Group, as _: T.Type) throws {
        let whole = HDF5DatasetLayout.chunked(byRow: false, compression: false, checksum: true)
        try group.setAttribute("kind", string: objective.kind)
        switch objective {
        case .quadratic(let a, let b, let n):
            try group.createDataset("A", shape: [n, n], values: a.map { T($0) }, layout: whole, digest: true)
            try group.createDataset("b", shape: [n], values: b.map { T($0) }, layout: whole, digest: true)
        case .rosenbrock(let a, let b):
            try group.setAttribute("a", double: a)
            try group.setAttribute("b", double: b)
        case .logisticRegression(let x, let y, let l2, let m, let n):
            try group.createDataset("X", shape: [m, n], values: x.map { T($0) }, layout: whole, digest: true)
            try group.createDataset("y", shape: [m], values: y.map { T($0) }, layout: whole, digest: true)
            try group.setAttribute("l2", double: l2)
        }
    }
}
