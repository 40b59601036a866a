import Foundation
import LockstepFormat
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// torch's error inputs from `optim_db` (`fixtures/optim_db/errors.json`, recorded with torch's
/// verdict by `bash tools/golden --optim-db`): each raised at construction with arguments
/// JSON can carry is refused by Lockstep with torch's exception and message.
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
