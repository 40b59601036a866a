import Foundation
import LockstepJSON

/// The hyperparameters of one param group, under torch's names.
///
/// Each optimizer's `Options` is a `Codable` struct whose coding keys are torch's keys
/// (`weight_decay`, `betas`, ...): that one table maps torch's JSON to Swift properties.
/// A group given as torch's JSON takes every key it names and the optimizer's defaults for
/// the rest, as `add_param_group` fills a group from `defaults`.
public protocol OptimizerOptions: Codable, Sendable, Equatable {
    /// The coding keys: torch's name of every hyperparameter, the one table from torch's
    /// keys to Swift properties.
    associatedtype TorchKey: CodingKey & CaseIterable
    /// The learning rate; every torch optimizer has one, and schedulers change it.
    var lr: Double { get set }
}

/// Keys torch puts in a param group that are not hyperparameters of the update: flags
/// that select an implementation (accepted and ignored where an optimizer does not declare
/// them), `param_names` (named parameters), and what learning-rate schedulers add
/// (`initial_lr`; the schedule itself is the fixture's `scheduler`, checked against `/steps/lr`).
public let informationalHyperparameters: Set<String> = [
    "foreach", "capturable", "differentiable", "fused", "param_names", "initial_lr",
]

extension OptimizerOptions {
    /// Builds options from a torch param group's JSON object (`state_dict()["param_groups"][i]`
    /// without `params`), taking `defaults` for absent keys.
    ///
    /// - Throws: ``OptimizerError`` when a key is unknown to `optimizer` or has the wrong type.
    public static func fromTorchJSON(_ json: Data, defaults: Self, optimizer: String) throws -> Self {
        // JSONValue, not JSONSerialization, which parses some doubles to a neighbour on Linux.
        guard case .object(let given)? = try? JSONValue.decoder().decode(JSONValue.self, from: json) else {
            throw OptimizerError(.typeError, "\(optimizer) param group must be a JSON object")
        }
        var merged = try torchObject(defaults)
        // From the coding keys, not from `encoded`: an optional that is nil is not encoded.
        let known = Set(TorchKey.allCases.map(\.stringValue))
        for (key, value) in given {
            if known.contains(key) {
                merged[key] = value
            } else if !informationalHyperparameters.contains(key) {
                throw OptimizerError(.keyError, "\(optimizer) has no hyperparameter '\(key)'")
            }
        }
        do {
            return try JSONValue.object(merged).decode()
        } catch let error as DecodingError {
            let path = error.jsonPath
            throw OptimizerError(
                .typeError, "\(optimizer) \(path.isEmpty ? "param group" : "hyperparameter '\(path)'"): \(error.jsonProblem)")
        }
    }

}

/// `betas`: a pair of coefficients, coded as torch's two-element list `[β₁, β₂]`.
public struct Betas: Codable, Sendable, Equatable {
    public var beta1: Double
    public var beta2: Double

    public init(_ beta1: Double, _ beta2: Double) {
        self.beta1 = beta1
        self.beta2 = beta2
    }

    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        beta1 = try container.decode(Double.self)
        beta2 = try container.decode(Double.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "betas must hold exactly two numbers")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(beta1)
        try container.encode(beta2)
    }
}

/// `value` encoded as a JSON object under torch's keys.
func torchObject(_ value: some Encodable) throws -> [String: JSONValue] {
    guard let object = try JSONValue.encodedObject(value) else {
        throw OptimizerError(.runtimeError, "\(type(of: value)) does not encode as a JSON object")
    }
    return object
}
