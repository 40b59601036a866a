import Foundation

/// A JSON value read and written with `JSONDecoder` / `JSONEncoder`, which round-trip every
/// `Double` exactly. (Foundation's `JSONSerialization` on Linux does not: it parses
/// `0.30000000000000004` as a neighbouring double, which would change a hyperparameter in
/// its last bit.) Used to merge torch's JSON keys over defaults.
enum TorchJSON: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TorchJSON])
    case object([String: TorchJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TorchJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: TorchJSON].self))
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// `value` encoded, as a JSON object.
    static func object(encoding value: some Encodable) throws -> [String: TorchJSON] {
        guard case .object(let object) = try JSONDecoder().decode(TorchJSON.self, from: JSONEncoder().encode(value)) else {
            throw OptimizerError(.runtimeError, "\(type(of: value)) does not encode as a JSON object")
        }
        return object
    }

    /// Decodes `T` from this value.
    func decode<T: Decodable>(as _: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }

    /// The numbers of a number (`[x]`) or of a list of numbers; `nil` otherwise.
    var numbers: [Double]? {
        switch self {
        case .number(let value): return [value]
        case .array(let values):
            let numbers = values.compactMap { if case .number(let x) = $0 { x } else { nil } }
            return numbers.count == values.count ? numbers : nil
        default: return nil
        }
    }
}
