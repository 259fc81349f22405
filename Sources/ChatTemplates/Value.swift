// Values: the public data type `JinjaValue` (what callers pass in: messages, tools, extra
// variables) and the engine's internal runtime `Value`, which adds Jinja2's Undefined,
// namespace() objects and callables. Python semantics: truthiness, equality, str() and repr().

import Foundation

/// Data a template sees: JSON-like values with Python's types (int and float are distinct).
package enum JinjaValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
}

/// A dictionary with string keys that keeps insertion order (as Python's dict does).
package struct JinjaObject: Sendable, Equatable {
    package private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    package init() {}
    /// Pairs in order; a repeated key keeps its first position and its last value.
    package init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    package subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    /// Key-value pairs in insertion order.
    package var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0] ?? .none) } }
    package var count: Int { keys.count }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .int(value) }
    package init(floatLiteral value: Double) { self = .double(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .object(JinjaObject(elements)) }
    package init(nilLiteral: ()) { self = .none }
}

/// A `namespace()` object: mutable attributes shared by reference (`{% set ns.x = ... %}`).
final class Namespace: @unchecked Sendable {
    var attributes = OrderedValues()
    init() {}
}

/// Insertion-ordered string-keyed values of the runtime.
struct OrderedValues {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]
    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    var pairs: [(String, Value)] { keys.map { ($0, storage[$0] ?? .none) } }
    var count: Int { keys.count }
}

/// Global functions a template may call.
enum Builtin: String {
    case raiseException = "raise_exception", strftimeNow = "strftime_now", namespace, range, dict
}

/// The runtime value of an expression.
enum Value {
    /// Jinja2's default Undefined: prints as "", is falsy, iterates as empty; using it further
    /// (attribute, item, arithmetic) is an error naming `name`.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    /// A Python tuple (from `(a, b)`, `a, b` or dict item pairs): like a list but prints `(a, b)`.
    case tuple([Value])
    /// A lazy sequence from select/reject/map/unique/items filters: iterates like a list, is always
    /// truthy, and has no length, no items and no JSON form (as in Jinja2).
    case generator([Value])
    /// A generator whose computation failed: the error is raised when it is iterated or printed.
    case failedGenerator(ChatTemplateError)
    /// A markupsafe Markup string (from `| safe` or `| escape`): `+` with a plain string HTML-escapes
    /// the plain side; otherwise it reads as a string.
    case markup(String)
    case object(OrderedValues)
    case namespace(Namespace)
    case function(Builtin)
    case macro(MacroDef)

    init(_ v: JinjaValue) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(Value.init))
        case .object(let o):
            var ov = OrderedValues()
            for (k, x) in o.pairs { ov[k] = Value(x) }
            self = .object(ov)
        }
    }

    /// Markup as a plain string; other values unchanged.
    var plain: Value { if case .markup(let s) = self { return .string(s) }; return self }

    var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .array(let a), .tuple(let a): return !a.isEmpty
        case .object(let o): return o.count > 0
        case .namespace, .function, .macro, .generator, .failedGenerator: return true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .tuple: return "tuple"
        case .generator, .failedGenerator: return "generator"
        case .markup: return "Markup"
        case .object: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        case .macro: return "Macro"
        }
    }

    /// Python `==` (1 == 1.0 == True; Undefined equals only Undefined).
    func equals(_ other: Value) -> Bool {
        switch (self.plain, other.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return a.pairs.allSatisfy { k, v in b[k].map { v.equals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.function(let a), .function(let b)): return a == b
        default:
            if let x = numeric, let y = other.numeric { return x == y }
            return false
        }
    }

    /// Numbers and booleans as Double, for mixed comparisons.
    var numeric: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    /// Ints and booleans as Int.
    var integer: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }

    /// Python `str()` as Jinja2 prints it (`{{ x }}`); Undefined prints as "".
    var str: String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return repr
        }
    }

    /// Python `repr()`.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return pythonFloat(d)
        case .string(let s): return pythonRepr(s)
        case .array(let a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .generator, .failedGenerator: return "<generator object>"
        case .markup(let s): return "Markup(" + pythonRepr(s) + ")"
        case .tuple(let a): return "(" + a.map(\.repr).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case .object(let o):
            return "{" + o.pairs.map { pythonRepr($0.0) + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case .namespace(let n):
            return "<Namespace " + n.attributes.pairs.map { "\($0.0)=\($0.1.repr)" }.joined(separator: ", ") + ">"
        case .function(let f): return "<function \(f.rawValue)>"
        case .macro(let m): return "<Macro '\(m.name)'>"
        }
    }
}

/// Python's repr of a float: shortest round-trip digits, fixed notation for exponents in
/// [-4, 16), scientific (`1e+16`, `1e-05`) otherwise.
func pythonFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description is also shortest round-trip; take its digits and exponent.
    var s = "\(abs(d))"
    var exp = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp = Int(s[s.index(after: e)...]) ?? 0
        s = String(s[..<e])
    }
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0]), fracPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = intPart + fracPart
    var pointPos = intPart.count + exp  // decimal point after this many digits
    while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); pointPos -= 1 }
    while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
    let sciExp = pointPos - 1
    var out: String
    if sciExp >= -4 && sciExp < 16 {
        if pointPos <= 0 {
            out = "0." + String(repeating: "0", count: -pointPos) + digits
        } else if pointPos >= digits.count {
            out = digits + String(repeating: "0", count: pointPos - digits.count) + ".0"
        } else {
            let i = digits.index(digits.startIndex, offsetBy: pointPos)
            out = String(digits[..<i]) + "." + String(digits[i...])
        }
    } else {
        let mant = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        out = mant + "e" + (sciExp < 0 ? "-" : "+") + (abs(sciExp) < 10 ? "0" : "") + String(abs(sciExp))
    }
    return d < 0 ? "-" + out : out
}

/// Python's repr of a str: single quotes unless the text has ' and no ".
func pythonRepr(_ s: String) -> String {
    let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
    var out = String(quote)
    for u in s.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(u) == quote { out += "\\" + String(quote) }
            else if u.value < 0x20 || u.value == 0x7f { out += String(format: "\\x%02x", u.value) }
            else { out.unicodeScalars.append(u) }
        }
    }
    out.append(quote)
    return out
}

/// markupsafe's escape: & < > ' " as entities.
func htmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "'": out += "&#39;"
        case "\"": out += "&#34;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
