import Foundation
import LockstepHDF5

/// Opens a golden fixture, checks it against format v1, and streams it one step at a time.
///
/// Opening reads only the attributes and the shapes of the datasets and checks that they
/// agree with each other; the numbers are read later, one row per call, so memory stays
/// constant in the number of steps. Every problem is a ``FixtureError`` naming the file,
/// the object and what is wrong.
public final class FixtureReader: Sendable {
    /// The path the fixture was opened with.
    public let path: String
    public let header: FixtureHeader
    /// The parameters in optimizer order (by their `index`).
    public let parameters: [FixtureParameter]
    /// The objective, in a closure-mode file that carries one.
    public let objective: FixtureObjective?
    /// The closure calls torch made, in a closure-mode file that records them instead of an
    /// objective (format extension 12).
    public let evaluations: FixtureEvaluations?
    /// What the reference's `sqrt` returned on fixed probes (format extension 17); empty in
    /// a file without them.
    public let fingerprints: FixtureFingerprints

    private let file: HDF5File
    /// Each parameter's position in `parameters`, by name.
    private let positions: [String: Int]
    private let learningRates: HDF5Dataset?
    private let hyperparameterSeries: [String: HDF5Dataset]
    private let metrics: HDF5Dataset?
    private let loss: HDF5Dataset?
    private let closureCalls: HDF5Dataset?

    /// Opens and checks the fixture at `path`.
    public init(path: String) throws {
        self.path = path
        let steps: FixtureCheck.Steps
        (file, header, parameters, objective, evaluations, fingerprints, steps) = try translatingErrors {
            let file = try HDF5File.open(readingAt: path)
            let root = try file.root
            let check = FixtureCheck(file: path)
            let header = try check.header(root)
            if try check.contentDigest(root) { file.requireContentDigests() }
            let parameters = try check.parameters(root, header: header)
            let steps = try check.steps(root, header: header)
            let evaluations = try check.evaluations(root, header: header, parameters: parameters, steps: steps)
            let objective = try check.objective(root, header: header, evaluations: evaluations)
            let fingerprints = try check.fingerprints(root)
            return (file, header, parameters, objective, evaluations, fingerprints, steps)
        }
        positions = Dictionary(parameters.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        (learningRates, hyperparameterSeries, metrics, loss, closureCalls) =
            (steps.lr, steps.hyperparameters, steps.metric, steps.loss, steps.calls)
    }

    /// The parameter named `name`.
    public func parameter(named name: String) -> FixtureParameter? {
        parameterIndex(named: name).map { parameters[$0] }
    }

    /// The position of the parameter named `name` in ``parameters``.
    public func parameterIndex(named name: String) -> Int? { positions[name] }

    private func requireDType<T: FixtureScalar>(_: T.Type) throws {
        guard T.fixtureDType == header.dtype else {
            throw FixtureError(
                file: path, object: "/", message: "cannot read a \(header.dtype.rawValue) fixture as \(T.fixtureDType.rawValue)")
        }
    }

    /// The parameter's value before step 1.
    public func initial<T: FixtureScalar>(_ parameter: FixtureParameter, as _: T.Type = T.self) throws -> [T] {
        try requireDType(T.self)
        return try translatingErrors { try parameter.initial.read(T.self) }
    }

    /// Reads row `step - 1` (the row of step `step`, 1-based) of a parameter's series.
    public func read<T: FixtureScalar>(
        _ series: FixtureSeries, of parameter: FixtureParameter, step: Int, into buffer: inout [T]
    ) throws {
        try requireDType(T.self)
        let dataset: HDF5Dataset
        switch series {
        case .grad:
            guard let grad = parameter.grad else {
                throw FixtureError(file: path, object: parameter.path + "/grad", message: "dataset not found")
            }
            dataset = grad
        case .param: dataset = parameter.param
        case .state(let key):
            guard let state = parameter.state[key] else {
                throw FixtureError(file: path, object: parameter.path + "/state/\(key)", message: "dataset not found")
            }
            dataset = state
        }
        try translatingErrors { try dataset.readRow(step - 1, into: &buffer) }
    }

    /// Reads row `row` of a parameter's series of closure calls (format extension 12): the
    /// parameter at call `row` of the run, counted from 0 in call order
    /// (``FixtureEvaluations/rows(ofStep:)`` gives a step's rows).
    public func read<T: FixtureScalar>(
        _ series: FixtureEvaluationSeries, of parameter: FixtureParameter, evaluation row: Int, into buffer: inout [T]
    ) throws {
        try requireDType(T.self)
        guard let evaluations = parameter.evaluations else {
            throw FixtureError(file: path, object: parameter.path + "/\(series)", message: "dataset not found")
        }
        let dataset = switch series {
        case .param: evaluations.param
        case .grad: evaluations.grad
        }
        try translatingErrors { try dataset.readRow(row, into: &buffer) }
    }

    /// Reads the recorded state entry `key` before step 1 (`initial_state/<key>`, format
    /// extension 13), shaped as a row of `state/<key>`.
    public func readInitialState<T: FixtureScalar>(_ key: String, of parameter: FixtureParameter, into buffer: inout [T]) throws {
        try requireDType(T.self)
        guard let dataset = parameter.initialState[key] else {
            throw FixtureError(file: path, object: parameter.path + "/initial_state/\(key)", message: "dataset not found")
        }
        buffer = try translatingErrors { try dataset.read(T.self) }
    }

    /// Reads which entries step `step`'s sparse gradient holds (`grad_mask`), or returns
    /// `false` when the parameter's gradients are dense.
    ///
    /// - Throws: a ``FixtureError`` naming the row when an entry is neither 0 nor 1.
    public func readGradMask(of parameter: FixtureParameter, step: Int, into mask: inout [Bool]) throws -> Bool {
        guard let dataset = parameter.gradMask else { return false }
        // uint8, as written, is read as it is stored; any other integer type as Int64, which
        // holds its values (HDF5 would clip an int8 −1 read as uint8 to 0).
        func read<I: HDF5Scalar & BinaryInteger>(_: I.Type) throws {
            var row: [I] = []
            try translatingErrors { try dataset.readRow(step - 1, into: &row) }
            if let bad = row.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw FixtureError(
                    file: path, object: dataset.path, message: "row \(step - 1), element \(bad) is \(row[bad]), expected 0 or 1")
            }
            mask = row.map { $0 == 1 }
        }
        if dataset.storedType == UInt8.storedType { try read(UInt8.self) } else { try read(Int64.self) }
        return true
    }

    /// The learning rate of each group while step `step` ran (`/steps/lr`), if recorded.
    public func learningRates(step: Int) throws -> [Double]? {
        guard let learningRates else { return nil }
        var row: [Double] = []
        try translatingErrors { try learningRates.readRow(step - 1, into: &row) }
        return row
    }

    /// Whether the fixture records `/steps/lr`.
    public var hasLearningRates: Bool { learningRates != nil }

    /// The hyperparameters besides `lr` recorded per step (`/steps/betas`, `/steps/momentum`), sorted.
    public var scheduledHyperparameters: [String] { hyperparameterSeries.keys.sorted() }

    /// The value of hyperparameter `key` in each group while step `step` ran, groups
    /// concatenated (`betas`: two numbers per group).
    public func hyperparameters(_ key: String, step: Int) throws -> [Double] {
        guard let dataset = hyperparameterSeries[key] else {
            throw FixtureError(file: path, object: "/steps/\(key)", message: "dataset not found")
        }
        var row: [Double] = []
        try translatingErrors { try dataset.readRow(step - 1, into: &row) }
        return row
    }

    /// The metric given to the scheduler after step `step` (`/steps/metric`, format
    /// extension 11: `ReduceLROnPlateau.step(metric)`), if recorded.
    public func metric(step: Int) throws -> Double? {
        guard let metrics else { return nil }
        var row: [Double] = []
        try translatingErrors { try metrics.readRow(step - 1, into: &row) }
        return row.first
    }

    /// Whether the fixture records `/steps/metric`.
    public var hasMetric: Bool { metrics != nil }

    /// The losses `step(closure)` returned (`/steps/loss`), in closure mode.
    public func losses() throws -> [Double]? {
        try loss.map { dataset in try translatingErrors { try dataset.read(Double.self) } }
    }

    /// What each closure call returned (`/evaluations/loss`, format extension 12), in call
    /// order over the whole run; `nil` unless the file records the closure calls.
    public func evaluationLosses() throws -> [Double]? {
        try evaluations.map { evaluations in try translatingErrors { try evaluations.loss.read(Double.self) } }
    }

    /// How many times each step called the closure (`/steps/closure_calls`), in closure mode.
    public func closureCallCounts() throws -> [Int64]? {
        try closureCalls.map { dataset in try translatingErrors { try dataset.read(Int64.self) } }
    }
}
