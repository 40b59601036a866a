import Foundation

/// A JSON value, as found in the fixture's JSON attributes (`param_groups`, `reference`, ...).
///
/// Read and written with `JSONDecoder` / `JSONEncoder`, which round-trip every `Double`
/// exactly. (Foundation's `JSONSerialization` on Linux does not: it parses
/// `0.30000000000000004` as a neighbouring double, which would change a hyperparameter in
/// its last bit.)
public enum JSONValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
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

    /// Parses JSON text; NaN and ±Infinity may be written as Python's `json` writes them.
    public static func parse(_ text: String) throws -> JSONValue {
        try decoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// A decoder for Python's JSON: NaN, Infinity and -Infinity as Python's `json` writes
    /// them (bare literals, read as JSON5) or as the strings ``encoder()`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// An encoder that writes non-finite numbers as the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"` (standard JSON has no literal for them), which ``decoder()`` reads back.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// Compact JSON text with sorted keys.
    public var jsonText: String {
        let encoder = Self.encoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public var description: String { jsonText }

    public var objectValue: [String: JSONValue]? { if case .object(let v) = self { v } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var numberValue: Double? { if case .number(let v) = self { v } else { nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }

    /// The value as an integer, if it is a number with no fractional part.
    public var integerValue: Int? {
        guard case .number(let v) = self, v.rounded() == v, abs(v) < 9.0e15 else { return nil }
        return Int(v)
    }
}

extension JSONValue {
    /// `value` encoded with `JSONEncoder`, as a JSON object.
    public static func encodedObject(_ value: some Encodable) throws -> [String: JSONValue]? {
        try decoder().decode(JSONValue.self, from: encoder().encode(value)).objectValue
    }

    /// Decodes `T` from this value.
    public func decode<T: Decodable>(as _: T.Type = T.self) throws -> T {
        try Self.decoder().decode(T.self, from: Self.encoder().encode(self))
    }

    /// The numbers of a number (`[x]`) or of a list of numbers; `nil` otherwise.
    public var numbers: [Double]? {
        switch self {
        case .number(let value): return [value]
        case .array(let values):
            let numbers = values.compactMap(\.numberValue)
            return numbers.count == values.count ? numbers : nil
        default: return nil
        }
    }
}
