// Reading JSON text into a JinjaValue, keeping object key order (as Python's json.loads does),
// so tools schemas and messages from tokenizer files or requests reach templates unchanged.
// Numbers with a fraction or exponent become doubles, others ints (Python's rule).

import Foundation

/// Why JSON text could not be read.
package struct JinjaJSONError: Error, Equatable, CustomStringConvertible {
    /// Offset in Unicode scalars where reading failed.
    package var offset: Int
    package var message: String
    package var description: String { "invalid JSON at offset \(offset): \(message)" }
}

extension JinjaValue {
    /// Parses JSON text (RFC 8259) into a value; object keys keep their order.
    package init(json text: String) throws {
        var p = JSONReader(Array(text.unicodeScalars))
        p.skipSpace()
        self = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.s.count else { throw p.fail("trailing characters") }
    }
}

private struct JSONReader {
    let s: [Unicode.Scalar]
    var i = 0
    init(_ s: [Unicode.Scalar]) { self.s = s }

    func fail(_ m: String) -> JinjaJSONError { JinjaJSONError(offset: i, message: m) }
    mutating func skipSpace() { while i < s.count, [" ", "\t", "\n", "\r"].contains(s[i]) { i += 1 } }
    mutating func literal(_ word: String, _ v: JinjaValue) throws -> JinjaValue {
        for c in word.unicodeScalars {
            guard i < s.count, s[i] == c else { throw fail("expected \(word)") }
            i += 1
        }
        return v
    }

    mutating func value(depth: Int) throws -> JinjaValue {
        guard depth < 512 else { throw fail("nested too deeply") }
        guard i < s.count else { throw fail("unexpected end") }
        switch s[i] {
        case "n": return try literal("null", .none)
        case "t": return try literal("true", .bool(true))
        case "f": return try literal("false", .bool(false))
        case "\"": return .string(try string())
        case "[":
            i += 1; skipSpace()
            var items: [JinjaValue] = []
            if i < s.count, s[i] == "]" { i += 1; return .array(items) }
            while true {
                skipSpace(); items.append(try value(depth: depth + 1)); skipSpace()
                guard i < s.count else { throw fail("unclosed array") }
                if s[i] == "]" { i += 1; return .array(items) }
                guard s[i] == "," else { throw fail("expected ',' or ']'") }
                i += 1
            }
        case "{":
            i += 1; skipSpace()
            var o = JinjaObject()
            if i < s.count, s[i] == "}" { i += 1; return .object(o) }
            while true {
                skipSpace()
                guard i < s.count, s[i] == "\"" else { throw fail("expected a key string") }
                let k = try string()
                skipSpace()
                guard i < s.count, s[i] == ":" else { throw fail("expected ':'") }
                i += 1; skipSpace()
                o[k] = try value(depth: depth + 1)
                skipSpace()
                guard i < s.count else { throw fail("unclosed object") }
                if s[i] == "}" { i += 1; return .object(o) }
                guard s[i] == "," else { throw fail("expected ',' or '}'") }
                i += 1
            }
        default: return try number()
        }
    }

    mutating func number() throws -> JinjaValue {
        let start = i
        var isFloat = false
        if i < s.count, s[i] == "-" { i += 1 }
        while i < s.count, ("0"..."9").contains(s[i]) || [".", "e", "E", "+", "-"].contains(s[i]) {
            if [".", "e", "E"].contains(s[i]) { isFloat = true }
            i += 1
        }
        var t = ""; t.unicodeScalars.append(contentsOf: s[start..<i])
        if !isFloat, let n = Int(t) { return .int(n) }
        guard !t.isEmpty, t != "-", let d = Double(t) else { i = start; throw fail("bad value") }
        return .double(d)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= s.count else { throw fail("bad \\u escape") }
        var t = ""; t.unicodeScalars.append(contentsOf: s[i..<(i + 4)])
        guard let v = UInt32(t, radix: 16) else { throw fail("bad \\u escape") }
        i += 4
        return v
    }

    mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]; i += 1
            if c == "\"" { var r = ""; r.unicodeScalars = out; return r }
            guard c == "\\" else { out.append(c); continue }
            guard i < s.count else { break }
            let e = s[i]; i += 1
            switch e {
            case "\"", "\\", "/": out.append(e)
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v), i + 6 <= s.count, s[i] == "\\", s[i + 1] == "u" {
                    i += 2
                    let lo = try hex4()
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo &- 0xDC00)
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default: throw fail("bad escape '\\\(e)'")
            }
        }
        throw fail("unterminated string")
    }
}
