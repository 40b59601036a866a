import Foundation
import LockstepFormat
import LockstepOptim
import LockstepTestSupport
import Testing

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

    /// Why torch's verdict on a tensor argument (described in errors.json as `{"tensor":
    /// shape, "dtype": ..., "values": [...]}`) is not Lockstep's yet, or `nil`. A tensor lr of
    /// more than one element is refused with torch's message (`Tensor lr must be 1-element`).
    static func tensorGap(_ entry: Entry) -> String? {
        func isTensor(_ value: JSONValue) -> Bool { value.objectValue?["tensor"] != nil }
        if let (key, _) = entry.kwargs.first(where: { $0.value.arrayValue?.contains(where: isTensor) == true }) {
            return "'\(key)' holds a 0-dim tensor inside a tuple: Lockstep's options hold Python floats there, "
                + "and the format records only a group's own 0-dim tensors (extension 16)"
        }
        let lrElements = entry.kwargs["lr"]?.objectValue?["values"]?.arrayValue?.count
        if lrElements == 1, ["Adam", "AdamW"].contains(entry.optimizer) {
            return "lr as a 0-dim tensor: \(entry.optimizer)'s tensor-lr arithmetic is not reproduced, "
                + "so Lockstep refuses it before torch's foreach check (extension 16)"
        }
        return nil
    }

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
        if let reason = Self.tensorGap(entry) {
            withKnownIssue(Comment(rawValue: reason)) { try check() }
        } else if entry.kwargs.values.contains(where: { $0.integerValue != nil && $0.jsonText.allSatisfy { $0 == "-" || $0.isNumber } }) {
            withKnownIssue("a Python int in torch's arguments is printed as a float (issue 14)", isIntermittent: true) { try check() }
        } else {
            try check()
        }
    }
}
