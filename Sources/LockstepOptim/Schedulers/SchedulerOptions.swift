import Foundation
import LockstepJSON

/// A scheduler's constructor arguments under torch's keyword names (`step_size`, `T_max`,
/// ...), `Codable` so that a recorded `scheduler` attribute decodes into them.
///
/// ``torchDefaults`` holds torch's defaults; an argument torch requires is optional here and
/// `nil` by default, and the scheduler's initializer rejects it missing with Python's message.
public protocol SchedulerOptions: Codable, Sendable, Equatable {
    /// The coding keys: torch's keyword names.
    associatedtype TorchKey: CodingKey & CaseIterable
    /// torch's defaults; required arguments `nil`.
    static var torchDefaults: Self { get }
}

extension SchedulerOptions {
    /// Decodes torch's keyword arguments, taking the defaults for absent ones.
    ///
    /// - Throws: Python's `TypeError` for a keyword the scheduler does not take, and for a
    ///   value of the wrong type.
    static func fromTorchArguments(_ arguments: [String: JSONValue], scheduler: String) throws -> Self {
        let known = Set(TorchKey.allCases.map(\.stringValue))
        if let unknown = arguments.keys.sorted().first(where: { !known.contains($0) }) {
            throw OptimizerError(.typeError, "\(scheduler).__init__() got an unexpected keyword argument '\(unknown)'")
        }
        let merged = try torchObject(torchDefaults).merging(arguments) { _, given in given }
        do {
            return try JSONValue.object(merged).decode()
        } catch let error as DecodingError {
            let path = error.jsonPath
            throw OptimizerError(.typeError, "\(scheduler) \(path.isEmpty ? "arguments" : "argument '\(path)'"): \(error.jsonProblem)")
        }
    }
}

/// A required argument, or Python's `TypeError` for calling `scheduler(...)` without it.
func required<T>(_ value: T?, _ key: String, of scheduler: String) throws -> T {
    guard let value else {
        throw OptimizerError(.typeError, "\(scheduler).__init__() missing 1 required positional argument: '\(key)'")
    }
    return value
}

/// One number for every group, or one per group (torch's `float | list[float]`).
public enum PerGroupValue: Codable, Sendable, Equatable {
    case all(Double)
    case each([Double])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .all(value)
        } else {
            self = .each(try container.decode([Double].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .all(let value): try container.encode(value)
        case .each(let values): try container.encode(values)
        }
    }

    /// torch's `_format_param(name, optimizer, param)`.
    func values(_ name: String, groupCount: Int) throws -> [Double] {
        switch self {
        case .all(let value): return Array(repeating: value, count: groupCount)
        case .each(let values):
            guard values.count == groupCount else {
                throw OptimizerError(
                    .valueError,
                    "\(name) must have the same length as optimizer.param_groups. \(name) has \(values.count) values, param_groups has \(groupCount).")
            }
            return values
        }
    }
}
