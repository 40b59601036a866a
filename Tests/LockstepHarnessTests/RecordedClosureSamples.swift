import Foundation
import LockstepFormat
import LockstepOptim
import Testing

@testable import LockstepHarness

/// A closure-mode run recorded call by call (format extension 12), for the tests of the
/// replay of recorded closure calls: the harness is under test here, not the optimizer, so
/// the recording is made in Swift, by the optimizer the replay then runs. (Recordings from
/// torch are goldens in `fixtures/`, verified by `GoldenFixtureTests`.)
///
/// The objective is linear least squares, `f(w, b) = mean((X·w + b − y)²)` with
/// `w: [1, 3]` and `b: [1]` as `nn.Linear(3, 1)` holds them; `unused: [2]` is a parameter
/// the loss does not use, whose gradient every call leaves `nil` (`has_grad` 0).
struct RecordedClosureCase: CustomTestStringConvertible, Sendable {
    let name: String
    let optimizer: String
    let hyperparameters: [String: JSONValue]
    var steps = 5
    /// Steps run before the recording starts: then the file holds the state before its
    /// first step (`initial_state`, format extension 13).
    var warmup = 0
    var withUnusedParameter = false

    var testDescription: String { name }

    static let lbfgsStrongWolfe = RecordedClosureCase(
        name: "LBFGS, strong Wolfe", optimizer: "LBFGS",
        hyperparameters: ["lr": .number(1), "max_iter": .number(4), "history_size": .number(3), "line_search_fn": .string("strong_wolfe")])
    static let lbfgsFixedStep = RecordedClosureCase(
        name: "LBFGS, fixed step", optimizer: "LBFGS",
        hyperparameters: ["lr": .number(0.1), "max_iter": .number(4), "history_size": .number(3)])
    static let conjugateGradient = RecordedClosureCase(
        name: "conjugate gradient, strong Wolfe", optimizer: "ConjugateGradient",
        hyperparameters: [
            "lr": .number(1), "max_iter": .number(4), "beta": .string("polak_ribiere_plus"), "line_search_fn": .string("strong_wolfe"),
        ])

    static let all: [RecordedClosureCase] = [lbfgsStrongWolfe, lbfgsFixedStep, conjugateGradient]

    /// Records the run in `T` and returns it as a fixture trajectory.
    func record<T: TensorScalar & FixtureScalar>(_: T.Type) throws -> FixtureTrajectory<T> {
        let problem = LeastSquares<T>()
        var parameters = [try Parameter<T>(shape: [1, 3], value: [0.5, -0.25, 1]), Parameter<T>([0])]
        var names = ["w", "b"]
        if withUnusedParameter {
            parameters.append(Parameter<T>([1, 1]))
            names.append("unused")
        }
        let optimizer = try OptimizerCatalog.builtIn.make(
            optimizer, groups: [(parameters, hyperparameters)], cpuCapability: nil)

        var recording = false
        var evaluations: [(loss: Double, params: [[T]], grads: [[T]?])] = []
        let closure = { () throws -> Double in
            let (loss, gradW, gradB) = problem.evaluate(w: parameters[0].value, b: parameters[1].value[0])
            try parameters[0].setGrad(gradW)
            try parameters[1].setGrad([gradB])
            if parameters.count > 2 { try parameters[2].setGrad(nil) }
            if recording { evaluations.append((Double(loss), parameters.map(\.value), parameters.map(\.grad))) }
            return Double(loss)
        }
        for _ in 0..<warmup { _ = try optimizer.step(closure: closure) }
        let initial = parameters.map(\.value)
        let initialState = parameters.map { optimizer.state(of: $0) ?? [:] }
        recording = true

        var losses: [Double] = []
        var calls: [Int64] = []
        var params: [[[T]]] = Array(repeating: [], count: parameters.count)
        var states: [[[String: StateValue<T>]]] = Array(repeating: [], count: parameters.count)
        for _ in 0..<steps {
            let before = evaluations.count
            losses.append(try optimizer.step(closure: closure))
            calls.append(Int64(evaluations.count - before))
            for (index, parameter) in parameters.enumerated() {
                params[index].append(parameter.value)
                states[index].append(optimizer.state(of: parameter) ?? [:])
            }
        }

        let group = FixtureHeader.ParamGroup(params: names, hyperparameters: hyperparameters)
        let header = FixtureHeader(
            optimizer: self.optimizer, dtype: T.fixtureDType, steps: steps, mode: .closure, paramGroups: [group],
            reference: .init(json: ["library": .string("lockstep-tests"), "implementation": .string("forloop")]), caseName: name)
        let fixtureParameters = names.indices.map { index in
            let shape = parameters[index].shape
            let nan = [T](repeating: .nan, count: parameters[index].count)
            let recorded = FixtureTrajectory<T>.Evaluations(
                param: evaluations.map { $0.params[index] }, grad: evaluations.map { $0.grads[index] ?? nan },
                hasGrad: evaluations.contains { $0.grads[index] == nil } ? evaluations.map { $0.grads[index] != nil } : nil)
            return FixtureTrajectory<T>.Parameter(
                name: names[index], shape: shape, initial: initial[index], grad: nil, param: params[index],
                state: Self.stateSeries(states[index]), initialState: initialState[index].mapValues(\.flatValues),
                evaluations: recorded)
        }
        return FixtureTrajectory(
            header: header, parameters: fixtureParameters, losses: losses, closureCalls: calls,
            evaluationLosses: evaluations.map(\.loss))
    }

    /// Per state key, one row per step: NaN before the key exists.
    private static func stateSeries<T: TensorScalar>(_ rows: [[String: StateValue<T>]]) -> [String: (shape: [Int], rows: [[T]])] {
        var series: [String: (shape: [Int], rows: [[T]])] = [:]
        for key in Set(rows.flatMap(\.keys)) {
            guard let shape = rows.lazy.compactMap({ $0[key]?.shape }).first else { continue }
            let nan = [T](repeating: .nan, count: shape.reduce(1, *))
            series[key] = (shape, rows.map { $0[key]?.flatValues ?? nan })
        }
        return series
    }
}

/// `f(w, b) = mean((X·w + b − y)²)` over eight fixed samples, with its gradient; every sum
/// left to right.
struct LeastSquares<T: TensorScalar> {
    let x: [[T]] = (0..<8).map { i in (0..<3).map { j in T(sin(Double(3 * i + j + 1))) } }
    let y: [T] = (0..<8).map { i in T(cos(Double(i)) + 0.5) }

    func evaluate(w: [T], b: T) -> (loss: T, gradW: [T], gradB: T) {
        let residuals = zip(x, y).map { row, target in zip(row, w).reduce(b) { $0 + $1.0 * $1.1 } - target }
        let m = T(residuals.count)
        let loss = residuals.reduce(0) { $0 + $1 * $1 } / m
        let gradW = (0..<3).map { j in zip(x, residuals).reduce(T(0)) { $0 + $1.0[j] * $1.1 } * 2 / m }
        let gradB = residuals.reduce(0, +) * 2 / m
        return (loss, gradW, gradB)
    }
}
