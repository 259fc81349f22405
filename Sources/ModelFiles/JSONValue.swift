// A JSON document as a Sendable value: what config.json, tokenizer_config.json and
// generation_config.json hold, and the Hugging Face-style config built from GGUF metadata.
// Integers and floats stay apart (576 is .int, 1e-05 is .double) so configs map cleanly.

import Foundation

/// A parsed JSON value.
package enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a JSON document; `label` names its source in the error.
    package static func parse(_ data: Data, label: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ModelDirectoryError(path: label, .badJSON(String(describing: error)))
        }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) { self = .double(d) } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) { self = .array(a) } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Member `key` of an object (nil for a missing key or a non-object).
    package subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { o[key] } else { nil }
    }

    /// The members of an object.
    package var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    /// The elements of an array.
    package var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// A string's value.
    package var string: String? { if case .string(let s) = self { s } else { nil } }
    /// A bool's value.
    package var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// An integer's value (also a double that is a whole number).
    package var int: Int? {
        switch self {
        case .int(let i): i
        case .double(let d): d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
        default: nil
        }
    }
    /// A number's value as Double.
    package var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// True for `null`.
    package var isNull: Bool { self == .null }
}
