// A strict JSON reader (RFC 8259) that keeps object key order and exact integers, with
// errors that say the line and column. Optionally accepts Python's `NaN`, `Infinity` and
// `-Infinity` tokens so a verifier that prints them is reported as "non-finite reward"
// rather than as garbage.

/// Why a JSON text could not be read, and where.
package struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Reason: Hashable, Sendable {
        case unexpectedEnd
        case unexpectedCharacter(String)
        case invalidNumber(String)
        case invalidEscape
        case invalidUnicodeEscape
        case controlCharacterInString
        case duplicateKey(String)
        case trailingCharacters
        case tooDeep(limit: Int)
        case notUTF8
    }

    package var reason: Reason
    /// 1-based line of the input (for JSONL, the file line when the caller supplied it).
    package var line: Int
    /// 1-based column (in UTF-8 bytes) within that line.
    package var column: Int

    package var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case let .unexpectedCharacter(c): what = "unexpected character \(c)"
        case let .invalidNumber(s): what = "invalid number \(s)"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUnicodeEscape: what = "invalid \\u escape in string"
        case .controlCharacterInString: what = "unescaped control character in string"
        case let .duplicateKey(k): what = "duplicate key \"\(k)\""
        case .trailingCharacters: what = "extra characters after the JSON value"
        case let .tooDeep(limit): what = "nesting deeper than \(limit) levels"
        case .notUTF8: what = "text is not valid UTF-8"
        }
        return "line \(line), column \(column): \(what)"
    }
}

extension JSONValue {
    /// Nesting limit: deeper input is rejected instead of exhausting the stack.
    package static let maxDepth = 256

    /// Parses one JSON text.
    /// - Parameters:
    ///   - line: the line number to report errors at (JSONL callers pass the file line).
    ///   - allowNonFinite: accept `NaN`, `Infinity`, `-Infinity` (as Python's json module writes them).
    package static func parse(_ text: String, line: Int = 1, allowNonFinite: Bool = false) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), line: line, allowNonFinite: allowNonFinite)
    }

    /// Parses UTF-8 bytes; see `parse(_:line:allowNonFinite:)`.
    package static func parse(_ bytes: [UInt8], line: Int = 1, allowNonFinite: Bool = false) throws(JSONParseError) -> JSONValue {
        var p = JSONParser(bytes: bytes, firstLine: line, allowNonFinite: allowNonFinite)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i < bytes.count { throw p.error(.trailingCharacters) }
        return v
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let firstLine: Int
    let allowNonFinite: Bool
    var i = 0

    init(bytes: [UInt8], firstLine: Int, allowNonFinite: Bool) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.allowNonFinite = allowNonFinite
    }

    func error(_ reason: JSONParseError.Reason, at position: Int? = nil) -> JSONParseError {
        let at = min(position ?? i, bytes.count)
        var line = firstLine, lineStart = 0
        for k in 0..<at where bytes[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return JSONParseError(reason: reason, line: line, column: at - lineStart + 1)
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    func unexpected() -> JSONParseError {
        guard i < bytes.count else { return error(.unexpectedEnd) }
        let b = bytes[i]
        let shown = (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        return error(.unexpectedCharacter(shown))
    }

    mutating func literal(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { return false }
        i += w.count
        return true
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < JSONValue.maxDepth else { throw error(.tooDeep(limit: JSONValue.maxDepth)) }
        guard i < bytes.count else { throw error(.unexpectedEnd) }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): if literal("true") { return .bool(true) }
        case UInt8(ascii: "f"): if literal("false") { return .bool(false) }
        case UInt8(ascii: "n"): if literal("null") { return .null }
        case UInt8(ascii: "N"): if allowNonFinite, literal("NaN") { return .double(.nan) }
        case UInt8(ascii: "I"): if allowNonFinite, literal("Infinity") { return .double(.infinity) }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if allowNonFinite, literal("-Infinity") { return .double(-.infinity) }
            return try number()
        default: break
        }
        throw unexpected()
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        i += 1
        var o = JSONObject()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(o)
        }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw unexpected() }
            let keyStart = i
            let key = try string()
            if o[key] != nil { throw error(.duplicateKey(key), at: keyStart) }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw unexpected() }
            i += 1
            skipSpace()
            o[key] = try value(depth: depth + 1)
            skipSpace()
            guard i < bytes.count else { throw error(.unexpectedEnd) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            throw unexpected()
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        i += 1
        var a: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(a)
        }
        while true {
            skipSpace()
            a.append(try value(depth: depth + 1))
            skipSpace()
            guard i < bytes.count else { throw error(.unexpectedEnd) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            throw unexpected()
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw error(.invalidUnicodeEscape) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexDigit(bytes[i]) else { throw error(.invalidUnicodeEscape) }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    mutating func string() throws(JSONParseError) -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw error(.unexpectedEnd) }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b < 0x20 { throw error(.controlCharacterInString) }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw error(.unexpectedEnd) }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard literal("\\u") else { throw error(.invalidUnicodeEscape) }
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error(.invalidUnicodeEscape) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error(.invalidUnicodeEscape) }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error(.invalidEscape, at: i - 2)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error(.notUTF8) }
        return s
    }

    func text(from start: Int) -> String { String(decoding: bytes[start..<i], as: UTF8.self) }

    mutating func digits() -> Int {
        let s = i
        while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
        return i - s
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        var integral = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let n = digits()
        guard n > 0 else { throw error(.invalidNumber(text(from: start)), at: start) }
        if n > 1, bytes[intStart] == UInt8(ascii: "0") { throw error(.invalidNumber(text(from: start)), at: start) }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard digits() > 0 else { throw error(.invalidNumber(text(from: start)), at: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error(.invalidNumber(text(from: start)), at: start) }
        }
        let literal = text(from: start)
        if integral, let v = Int(literal) { return .int(v) }
        // Out-of-range exponents give ±infinity in Double(_:): not a JSON number we can keep.
        guard let d = Double(literal), d.isFinite else { throw error(.invalidNumber(literal), at: start) }
        return .double(d)
    }
}
