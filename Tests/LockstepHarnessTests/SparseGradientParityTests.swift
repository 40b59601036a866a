import Foundation
import LockstepFormat
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// torch's verdict on a sparse gradient, from `fixtures/sparse-gradient-errors.json`
/// (recorded by `tools/golden --sparse-errors`): each optimizer and configuration stepped
/// with a sparse COO gradient (rows 0 and 2 of a [4, 3] parameter), then with a second
/// gradient, sparse or dense.
struct SparseVerdict: Sendable, CustomTestStringConvertible {
    let optimizer: String
    let kwargs: [String: JSONValue]
    /// Per step: whether the gradient is sparse.
    let sparse: [Bool]
    let closure: Bool
    /// torch's exception and the step (1-based) that raised it; `nil` when torch accepts.
    let error: (step: Int, error: OptimizerError)?

    var testDescription: String { "\(optimizer)(\(JSONValue.object(kwargs).jsonText)) \(sparse.map { $0 ? "sparse" : "dense" })" }

    static let table: (cases: [SparseVerdict], shape: [Int], initial: [Double], rows: [Int], values: [[Double]]) = load()

    private static func load() -> ([SparseVerdict], [Int], [Double], [Int], [[Double]]) {
        guard let text = try? String(contentsOfFile: fixturePath("sparse-gradient-errors.json"), encoding: .utf8),
              let root = (try? JSONValue.parse(text))?.objectValue
        else { return ([], [], [], [], []) }
        let parameter = root["parameter"]?.objectValue ?? [:]
        let gradient = root["gradient"]?.objectValue ?? [:]
        let cases = (root["cases"]?.arrayValue ?? []).compactMap { entry -> SparseVerdict? in
            guard let object = entry.objectValue, let optimizer = object["optimizer"]?.stringValue,
                  let kwargs = object["kwargs"]?.objectValue else { return nil }
            let error = object["error"]?.objectValue.flatMap { error -> (Int, OptimizerError)? in
                guard let type = error["type"]?.stringValue, let message = error["message"]?.stringValue,
                      let step = error["step"]?.integerValue else { return nil }
                return (step, OptimizerError.Kind(rawValue: type).map { OptimizerError($0, message) }
                    ?? OptimizerError(.runtimeError, "\(type): \(message)"))
            }
            return SparseVerdict(
                optimizer: optimizer, kwargs: kwargs,
                sparse: (object["gradients"]?.arrayValue ?? []).map { $0.stringValue == "sparse" },
                closure: object["closure"]?.boolValue == true, error: error)
        }
        return (
            cases, parameter["shape"]?.arrayValue?.compactMap(\.integerValue) ?? [],
            parameter["initial"]?.arrayValue?.compactMap(\.numberValue) ?? [],
            gradient["rows"]?.arrayValue?.compactMap(\.integerValue) ?? [],
            gradient["values"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.numberValue) ?? [] } ?? [])
    }

    /// Steps Lockstep's optimizer as torch's was stepped; returns the first error and the
    /// step that raised it, and whether the parameter was left unchanged by that step.
    func lockstepVerdict<T: TensorScalar>(_: T.Type) throws -> (step: Int, error: OptimizerError, unchanged: Bool)? {
        let table = Self.table
        let parameter = try Parameter<T>(shape: table.shape, value: table.initial.map { T($0) })
        let optimizer = try OptimizerCatalog.builtIn.make(optimizer, groups: [([parameter], kwargs)], cpuCapability: nil)
        let columns = table.shape.last ?? 1
        var dense = [T](repeating: 0, count: parameter.count)
        var mask = [Bool](repeating: false, count: parameter.count)
        for (row, values) in zip(table.rows, table.values) {
            for (column, value) in values.enumerated() {
                dense[row * columns + column] = T(value)
                mask[row * columns + column] = true
            }
        }
        for (index, isSparse) in sparse.enumerated() {
            let setGradient = { if isSparse { try parameter.setGrad(dense, sparseMask: mask) } else { try parameter.setGrad(dense) } }
            let before = parameter.value
            do {
                if closure {
                    _ = try optimizer.step {
                        try setGradient()
                        return 1
                    }
                } else {
                    try setGradient()
                    try optimizer.step()
                }
            } catch let error as OptimizerError {
                return (index + 1, error, parameter.value == before)
            }
        }
        return nil
    }
}

/// Every optimizer torch refuses sparse gradients for refuses them with torch's exception
/// and message, at the same step, changing nothing; where torch takes them, Lockstep takes
/// them too, or refuses them no later than torch fails, saying it does not reproduce that
/// path (`SparseGradients.unsupported`).
@Suite("Sparse-gradient parity with torch")
struct SparseGradientParityTests {
    @Test func theTableCoversEveryOptimizer() {
        let covered = Set(SparseVerdict.table.cases.map(\.optimizer))
        #expect(covered == Set(OptimizerCatalog.builtIn.names))
    }

    @Test(arguments: SparseVerdict.table.cases)
    func sameVerdictAsTorch(_ verdict: SparseVerdict) throws {
        for actual in [try verdict.lockstepVerdict(Float.self), try verdict.lockstepVerdict(Double.self)] {
            if let actual, actual.error.message.contains("Lockstep does not reproduce") {
                // A path torch takes and Lockstep does not reproduce: refused no later than
                // torch fails, changing nothing.
                #expect(actual.step <= verdict.error?.step ?? Int.max && actual.unchanged)
            } else if let expected = verdict.error {
                #expect(actual?.step == expected.step && actual?.error == expected.error, "torch: step \(expected.step) \(expected.error.kind.rawValue)(\(expected.error.message)); Lockstep: \(actual.map { "step \($0.step) \($0.error.kind.rawValue)(\($0.error.message))" } ?? "accepted")")
                #expect(actual?.unchanged == true, "the refused step changed the parameter")
            } else if let actual {
                Issue.record("torch accepts; Lockstep says \(actual.error.kind.rawValue)(\(actual.error.message))")
            }
        }
    }
}
