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
    ///
    /// - Throws: ``NestingTooDeep`` for arrays and objects nested deeper than
    ///   ``maximumNesting`` levels (where `JSONDecoder` stops), else the decoder's error.
    public static func parse(_ text: String) throws -> JSONValue {
        if nestingDepth(text) > maximumNesting { throw NestingTooDeep(depth: nestingDepth(text)) }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        if let first = text.utf8.first(where: { !whitespace.contains($0) }), first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
            return try decoder().decode(JSONValue.self, from: Data(text.utf8))
        }
        // A top-level scalar is read as the one element of an array: FoundationEssentials
        // traps (SIGILL in `JSON5Scanner.validateNumber`) on a top-level number of a thousand
        // digits or more, which inside an array is a thrown error (found by tools/fuzz).
        guard case .array(let values) = try decoder().decode(JSONValue.self, from: Data("[\(text)]".utf8)), values.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a single JSON value"))
        }
        return values[0]
    }

    /// The deepest nesting of arrays and objects `JSONDecoder` reads.
    public static let maximumNesting = 512

    /// JSON text nested deeper than ``maximumNesting`` levels.
    public struct NestingTooDeep: Error, Equatable, CustomStringConvertible {
        public var depth: Int
        public var description: String { "nests arrays and objects \(depth) levels deep, more than \(JSONValue.maximumNesting)" }
    }

    /// How deeply `[` and `{` nest in `text`, outside strings.
    static func nestingDepth(_ text: String) -> Int {
        var (depth, deepest, inString, escaped) = (0, 0, false, false)
        for byte in text.utf8 {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
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

extension DecodingError {
    /// Where in the decoded JSON the error is: `betas[1]`, `schedulers[0].step_size`; empty
    /// for the value itself.
    public var jsonPath: String {
        let path: [any CodingKey]
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        @unknown default: path = []
        }
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// What is wrong, in words: `expected a number, found a string`.
    public var jsonProblem: String {
        switch self {
        case .typeMismatch(let type, let context):
            let found = context.debugDescription.range(of: "found ").map { context.debugDescription[$0.upperBound...] }
                .map { "found " + $0.replacingOccurrences(of: " instead.", with: "").replacingOccurrences(of: "a dictionary", with: "an object")
                    .replacingOccurrences(of: "an array", with: "a list") }
            return "expected \(Self.jsonKind(type))" + (found.map { ", \($0)" } ?? "")
        case .valueNotFound(let type, let context):
            return context.debugDescription.contains("at end") ? "missing: the list ends before it (expected \(Self.jsonKind(type)))"
                : "expected \(Self.jsonKind(type)), found null"
        case .keyNotFound: return "missing"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(self)"
        }
    }

    /// `a number`, `an integer`, ... for the Swift type a decoder expected.
    private static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }
}
