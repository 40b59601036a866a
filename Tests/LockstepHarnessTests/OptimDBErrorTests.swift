import Foundation
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepFormat
@testable import LockstepHarness

/// torch's error inputs from `optim_db` (`fixtures/optim_db/errors.json`, recorded with torch's
/// verdict by `bash tools/golden --optim-db`): each raised at construction with arguments
/// JSON can carry (a tensor argument described in place) is refused by Lockstep with torch's
/// exception and message.
@Suite("optim_db error inputs")
struct OptimDBErrorTests {
    struct Entry: Sendable, CustomTestStringConvertible {
        let optimizer: String
        let description: String
        let kwargs: [String: JSONValue]
        let error: OptimizerError
        var testDescription: String { "\(optimizer): \(description)" }
    }

    /// The construction-time errors of hyperparameters (torch's default parameters; the
    /// entries about the parameter list itself are not replayed yet, issue 14).
    static let entries: [Entry] = {
        guard let text = try? String(contentsOfFile: repositoryRoot.appendingPathComponent("fixtures/optim_db/errors.json").path, encoding: .utf8),
              let root = try? JSONValue.parse(text) else { return [] }
        return (root.objectValue?["cases"]?.arrayValue ?? []).compactMap { value in
            guard let object = value.objectValue, object["raised_at"]?.stringValue == "construction",
                  object["json_representable"]?.boolValue != false,
                  object["params"] == nil || object["params"] == .null,
                  let optimizer = object["optimizer"]?.stringValue, let kwargs = object["kwargs"]?.objectValue,
                  let error = object["error"]?.objectValue, let type = error["type"]?.stringValue,
                  let message = error["message"]?.stringValue
            else { return nil }
            let kind = OptimizerError.Kind(rawValue: type)
            return Entry(
                optimizer: optimizer, description: object["desc"]?.stringValue ?? "?", kwargs: kwargs,
                error: kind.map { OptimizerError($0, message) } ?? OptimizerError(.runtimeError, "\(type): \(message)"))
        }
    }()

    @Test func theTensorArgumentsAreCarried() {
        #expect(Self.entries.filter { $0.description == "Tensor lr must be 1-element" }.count >= 15)
    }

    @Test func theFileHoldsTheErrors() {
        #expect(Self.entries.count >= 20)
    }

    @Test(arguments: entries)
    func refusedWithTorchsMessage(_ entry: Entry) throws {
        let shape = entry.optimizer == "Muon" ? [2, 3] : [3]
        let parameter = try Parameter<Float>(shape: shape, value: .init(repeating: 0, count: shape.reduce(1, *)))
        let check = {
            do {
                _ = try OptimizerCatalog.builtIn.make(entry.optimizer, groups: [([parameter], entry.kwargs)], cpuCapability: nil)
                Issue.record("accepted; torch raises \(entry.error.kind.rawValue): \(entry.error.message)")
            } catch let error as OptimizerError {
                #expect(
                    error.kind == entry.error.kind && error.message == entry.error.message,
                    "Lockstep: \(error.kind.rawValue): \(error.message)")
            }
        }
        // A Python int among the arguments: torch prints `-1`, the options hold a Double and
        // print `-1.0`. The options do not keep Python's number types yet (issue 14).
        if entry.kwargs.values.contains(where: { $0.integerValue != nil && $0.jsonText.allSatisfy { $0 == "-" || $0.isNumber } }) {
            withKnownIssue("a Python int in torch's arguments is printed as a float (issue 14)", isIntermittent: true) { try check() }
        } else {
            try check()
        }
    }
}

/// torch's error inputs about the parameter list itself (`params` in errors.json): each is
/// refused with torch's message where Lockstep takes such a list (the Swift API, a
/// fixture's `param_groups`), or named here with the reason a fixture cannot say it.
@Suite("optim_db error inputs: the parameter list")
struct OptimDBParameterErrorTests {
    struct Entry: Sendable, CustomTestStringConvertible {
        let optimizer: String
        let description: String
        let kwargs: [String: JSONValue]
        /// torch's exception, `nil` where torch only warns.
        let error: OptimizerError?
        var testDescription: String { "\(optimizer): \(description)" }
    }

    static let entries: [Entry] = {
        guard let text = try? String(contentsOfFile: repositoryRoot.appendingPathComponent("fixtures/optim_db/errors.json").path, encoding: .utf8),
              let root = try? JSONValue.parse(text) else { return [] }
        return (root.objectValue?["cases"]?.arrayValue ?? []).compactMap { value in
            guard let object = value.objectValue, let params = object["params"], params != .null,
                  let optimizer = object["optimizer"]?.stringValue, let description = object["desc"]?.stringValue
            else { return nil }
            let error = object["error"]?.objectValue.flatMap { error -> OptimizerError? in
                guard let type = error["type"]?.stringValue, let message = error["message"]?.stringValue else { return nil }
                return OptimizerError(OptimizerError.Kind(rawValue: type) ?? .runtimeError, message)
            }
            return Entry(optimizer: optimizer, description: description, kwargs: object["kwargs"]?.objectValue ?? [:], error: error)
        }
    }()

    /// Inputs a fixture cannot hold, and why: nothing to refuse.
    static let notRepresentable: [String: String] = [
        "warn on a bare unordered set of params": "a fixture lists its parameters by name, in order (torch only warns)",
        "all optimizer params should be with/without names": "every parameter of a fixture has a name",
        "all optimizer param groups should be with/without names.": "every parameter of a fixture has a name",
        "dense params required": "a fixture's parameters are dense arrays (only gradients may be sparse, extension 4)",
        "dense params required in param_groups": "a fixture's parameters are dense arrays (only gradients may be sparse, extension 4)",
    ]

    @Test func theFileHoldsThem() {
        #expect(Self.entries.count >= 90)
    }

    @Test(arguments: entries)
    func refusedWithTorchsMessage(_ entry: Entry) throws {
        func parameter(_ shape: [Int]) throws -> Parameter<Float> {
            try Parameter(shape: shape, value: .init(repeating: 0, count: shape.reduce(1, *)))
        }
        func refusal(_ groups: [([Parameter<Float>], [String: JSONValue])]) -> OptimizerError? {
            do {
                _ = try OptimizerCatalog.builtIn.make(entry.optimizer, groups: groups, cpuCapability: nil)
                return nil
            } catch { return error as? OptimizerError }
        }
        let shape = entry.optimizer == "Muon" ? [2, 3] : [3]
        switch entry.description {
        case "duplicate parameters should not occur across param groups either":
            let shared = try parameter(shape)
            #expect(refusal([([shared], entry.kwargs), ([shared], entry.kwargs)]) == entry.error)
            // In a fixture: the same name in two groups.
            #expect(throws: FixtureError.self) {
                try FixtureCheck(file: "f.h5").paramGroups(#"[{"params": ["w"]}, {"params": ["w"]}]"#, steps: 1)
            }
        case "a param group cannot have duplicate parameters":
            // torch warns and steps the parameter twice; Lockstep refuses (Optimizer.addParamGroup says so).
            #expect(entry.error == nil)
            let twice = try parameter(shape)
            #expect(refusal([([twice, twice], entry.kwargs)])?.message == "optimizer contains a parameter group with duplicate parameters")
        case "only support 2D parameters":
            #expect(refusal([([try parameter([2, 3, 4])], entry.kwargs)]) == entry.error)
        case "unsupported adjust_lr_fn":
            #expect(refusal([([try parameter(shape)], entry.kwargs)]) == entry.error)
        case "invalid param type":
            // A tensor where torch wants a list; in a fixture, a group whose `params` is not a list.
            #expect(entry.error?.kind == .typeError)
            #expect {
                try FixtureCheck(file: "f.h5").paramGroups(#"[{"params": "w"}]"#, steps: 1)
            } throws: { "\($0)" == #"f.h5: /: attribute 'param_groups', group 0 has no "params" list"# }
        case "does not support complex parameters", "complex not supported":
            // In a fixture: the dtype attribute, which is float32 or float64.
            #expect(entry.error != nil)
            #expect {
                try FixtureCheck(file: "f.h5").dtype("complex64")
            } throws: { "\($0)" == "f.h5: /: attribute 'dtype' is 'complex64', expected 'float32' or 'float64'" }
        default:
            let reason = try #require(Self.notRepresentable[entry.description], "unclassified: \(entry.description)")
            #expect(!reason.isEmpty)
        }
    }
}
