import Foundation
import LockstepFormat
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// torch's verdict on one set of constructor arguments, from `fixtures/validation-errors.json`
/// (recorded by `tools/golden --errors`): accepted, or the exception and its message.
struct TorchVerdict: Sendable {
    let optimizer: String
    let kwargs: [String: JSONValue]
    let parameterShape: [Int]
    /// `nil` when torch accepts the arguments.
    let error: OptimizerError?

    /// Every optimizer `torch.optim` exports, as listed in the file.
    static let optimizers: [String] = (try? table().optimizers) ?? []
    static let all: [TorchVerdict] = (try? table().verdicts) ?? []

    static func table() throws -> (optimizers: [String], verdicts: [TorchVerdict]) {
        let text = try String(contentsOfFile: fixturePath("validation-errors.json"), encoding: .utf8)
        let root = try JSONValue.parse(text)
        let defaultShape = root.objectValue?["parameter_shape"]?.arrayValue?.compactMap(\.integerValue) ?? [2, 3]
        let optimizers = root.objectValue?["optimizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let verdicts = (root.objectValue?["cases"]?.arrayValue ?? []).compactMap { entry -> TorchVerdict? in
            guard let object = entry.objectValue, let optimizer = object["optimizer"]?.stringValue,
                  let kwargs = object["kwargs"]?.objectValue else { return nil }
            let shape = object["parameter_shape"]?.arrayValue?.compactMap(\.integerValue) ?? defaultShape
            let error = object["error"]?.objectValue.flatMap { error -> OptimizerError? in
                guard let type = error["type"]?.stringValue, let message = error["message"]?.stringValue else { return nil }
                // An exception kind Lockstep does not know keeps its name in the message, so it never matches.
                return OptimizerError.Kind(rawValue: type).map { OptimizerError($0, message) }
                    ?? OptimizerError(.runtimeError, "\(type): \(message)")
            }
            return TorchVerdict(optimizer: optimizer, kwargs: kwargs, parameterShape: shape, error: error)
        }
        return (optimizers, verdicts)
    }

    /// What Lockstep says to the same arguments: the optimizer built from them as a
    /// fixture's param group is, over one zero parameter of the same shape.
    func lockstepVerdict<T: TensorScalar>(_: T.Type) throws -> OptimizerError? {
        let parameter = try Parameter<T>(shape: parameterShape, value: .init(repeating: 0, count: parameterShape.reduce(1, *)))
        do {
            _ = try OptimizerCatalog.builtIn.make(optimizer, groups: [([parameter], kwargs)], cpuCapability: nil)
            return nil
        } catch let error as OptimizerError {
            return error
        }
    }
}

/// Error parity: every hyperparameter torch rejects is rejected with torch's exception and
/// message, and everything torch accepts is accepted.
@Suite("Validation parity with torch")
struct ValidationParityTests {
    /// Optimizers of `torch.optim` not in Lockstep yet, each with the issue that adds it.
    static let pending: Set<String> = []

    @Test func theTableCoversEveryTorchOptimizer() {
        #expect(TorchVerdict.optimizers.count == 15, "torch 2.15 exports fifteen optimizers")
        #expect(Set(TorchVerdict.all.map(\.optimizer)) == Set(TorchVerdict.optimizers))
        #expect(TorchVerdict.all.filter { $0.error != nil }.count > 200)
    }

    @Test func everyTorchOptimizerIsRegisteredOrPending() {
        let neither = TorchVerdict.optimizers.filter { !OptimizerCatalog.builtIn.names.contains($0) && !Self.pending.contains($0) }
        let both = TorchVerdict.optimizers.filter { OptimizerCatalog.builtIn.names.contains($0) && Self.pending.contains($0) }
        #expect(neither.isEmpty, "neither registered nor pending: \(neither)")
        #expect(both.isEmpty, "registered yet still listed as pending: \(both)")
    }

    @Test(arguments: Set(TorchVerdict.all.map(\.optimizer)).subtracting(pending).sorted())
    func sameVerdictAsTorch(_ optimizer: String) throws {
        let verdicts = TorchVerdict.all.filter { $0.optimizer == optimizer }
        #expect(!verdicts.isEmpty)
        for verdict in verdicts {
            for actual in [try verdict.lockstepVerdict(Float.self), try verdict.lockstepVerdict(Double.self)] {
                #expect(
                    actual == verdict.error,
                    "\(optimizer)(\(JSONValue.object(verdict.kwargs).jsonText)): torch says \(verdict.error.map { "\($0.kind.rawValue)(\($0.message))" } ?? "fine"), Lockstep \(actual.map { "\($0.kind.rawValue)(\($0.message))" } ?? "fine")")
            }
        }
    }
}
