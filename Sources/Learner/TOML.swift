// A small TOML reader for configuration files: `[table]` and `[table.sub]` headers,
// `key = value` with bare or quoted keys, basic "…" (with \\ \" \n \t \uXXXX escapes) and
// literal '…' strings, integers (with _ separators), floats, booleans, arrays of those
// (one line or several), inline tables `{key = value, …}` (for reward lists), and #
// comments. Not supported (rejected with a line number): arrays of tables, dates,
// multi-line strings. Enough for service configuration, with errors a person can act on.

import Foundation

/// A TOML value.
public enum TOMLValue: Equatable, Sendable {
    case string(String), integer(Int), float(Double), bool(Bool), array([TOMLValue])
    /// An inline table, its keys in the order written.
    case table([TOMLKeyValue])
}

/// One `key = value` of an inline table.
public struct TOMLKeyValue: Equatable, Sendable {
    public var key: String
    public var value: TOMLValue
    public init(_ key: String, _ value: TOMLValue) { self.key = key; self.value = value }
}

/// A parse error with its 1-based line number.
public struct TOMLError: Error, Equatable, CustomStringConvertible, Sendable {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Parses TOML text into a flat map of dotted keys (`table.key`) to values.
public func parseTOML(_ text: String) throws -> [String: TOMLValue] {
    var out: [String: TOMLValue] = [:]
    var table = ""
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var i = 0
    while i < lines.count {
        let lineNo = i + 1
        var line = stripComment(lines[i]).trimmingCharacters(in: .whitespaces)
        i += 1
        if line.isEmpty { continue }
        if line.hasPrefix("[[") { throw TOMLError(line: lineNo, message: "arrays of tables are not supported") }
        if line.hasPrefix("[") {
            guard line.hasSuffix("]") else { throw TOMLError(line: lineNo, message: "table header must end with ']'") }
            table = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
            guard !table.isEmpty, table.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw TOMLError(line: lineNo, message: "invalid table name '\(table)'")
            }
            continue
        }
        guard let eq = line.firstIndex(of: "=") else { throw TOMLError(line: lineNo, message: "expected 'key = value'") }
        var key = line[..<eq].trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.first == "\"", key.last == "\"" { key = String(key.dropFirst().dropLast()) }
        guard !key.isEmpty else { throw TOMLError(line: lineNo, message: "empty key") }
        var raw = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        // Multi-line arrays: keep reading until the brackets balance.
        while raw.hasPrefix("["), bracketDepth(raw) > 0, i < lines.count {
            raw += " " + stripComment(lines[i]).trimmingCharacters(in: .whitespaces)
            i += 1
        }
        line = raw
        var p = Substring(line)
        let value = try parseValue(&p, line: lineNo)
        guard p.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw TOMLError(line: lineNo, message: "unexpected text after value: '\(p)'")
        }
        let full = table.isEmpty ? key : "\(table).\(key)"
        guard out[full] == nil else { throw TOMLError(line: lineNo, message: "duplicate key '\(full)'") }
        out[full] = value
    }
    return out
}

private func stripComment(_ s: String) -> String {
    var inBasic = false, inLiteral = false, escaped = false
    for (k, c) in s.enumerated() {
        if escaped { escaped = false; continue }
        if c == "\\" && inBasic { escaped = true; continue }
        if c == "\"" && !inLiteral { inBasic.toggle() }
        if c == "'" && !inBasic { inLiteral.toggle() }
        if c == "#" && !inBasic && !inLiteral { return String(s.prefix(k)) }
    }
    return s
}

private func bracketDepth(_ s: String) -> Int {
    var depth = 0, inStr: Character? = nil
    for c in s {
        if let q = inStr { if c == q { inStr = nil }; continue }
        if c == "\"" || c == "'" { inStr = c } else if c == "[" || c == "{" { depth += 1 } else if c == "]" || c == "}" { depth -= 1 }
    }
    return depth
}

private func parseValue(_ p: inout Substring, line: Int) throws -> TOMLValue {
    p = p.drop { $0 == " " || $0 == "\t" }
    guard let c = p.first else { throw TOMLError(line: line, message: "missing value") }
    switch c {
    case "\"":
        if p.hasPrefix("\"\"\"") { throw TOMLError(line: line, message: "multi-line strings are not supported") }
        p = p.dropFirst()
        var s = ""
        while let ch = p.first {
            p = p.dropFirst()
            if ch == "\"" { return .string(s) }
            if ch == "\\" {
                guard let e = p.first else { break }
                p = p.dropFirst()
                switch e {
                case "n": s.append("\n"); case "t": s.append("\t"); case "\\": s.append("\\"); case "\"": s.append("\"")
                case "u":
                    let hex = p.prefix(4); p = p.dropFirst(4)
                    guard hex.count == 4, let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                        throw TOMLError(line: line, message: "invalid \\u escape")
                    }
                    s.unicodeScalars.append(u)
                default: throw TOMLError(line: line, message: "unknown escape '\\\(e)'")
                }
            } else { s.append(ch) }
        }
        throw TOMLError(line: line, message: "unterminated string")
    case "'":
        p = p.dropFirst()
        guard let end = p.firstIndex(of: "'") else { throw TOMLError(line: line, message: "unterminated string") }
        let s = String(p[..<end]); p = p[p.index(after: end)...]
        return .string(s)
    case "[":
        p = p.dropFirst()
        var items: [TOMLValue] = []
        while true {
            p = p.drop { $0 == " " || $0 == "\t" || $0 == "," }
            if p.first == "]" { p = p.dropFirst(); return .array(items) }
            if p.isEmpty { throw TOMLError(line: line, message: "unterminated array") }
            items.append(try parseValue(&p, line: line))
            p = p.drop { $0 == " " || $0 == "\t" }
            guard p.first == "," || p.first == "]" else { throw TOMLError(line: line, message: "expected ',' or ']' in array") }
        }
    case "{":
        p = p.dropFirst()
        var pairs: [TOMLKeyValue] = []
        while true {
            p = p.drop { $0 == " " || $0 == "\t" }
            if p.first == "}" && pairs.isEmpty { p = p.dropFirst(); return .table(pairs) }
            guard let eq = p.firstIndex(of: "=") else { throw TOMLError(line: line, message: "expected 'key = value' in inline table") }
            var key = p[..<eq].trimmingCharacters(in: .whitespaces)
            if key.count >= 2, key.first == "\"", key.last == "\"" { key = String(key.dropFirst().dropLast()) }
            guard !key.isEmpty, !key.contains(" ") else {
                throw TOMLError(line: line, message: "invalid key '\(key)' in inline table")
            }
            guard !pairs.contains(where: { $0.key == key }) else { throw TOMLError(line: line, message: "duplicate key '\(key)' in inline table") }
            p = p[p.index(after: eq)...]
            pairs.append(TOMLKeyValue(key, try parseValue(&p, line: line)))
            p = p.drop { $0 == " " || $0 == "\t" }
            if p.first == "}" { p = p.dropFirst(); return .table(pairs) }
            guard p.first == "," else { throw TOMLError(line: line, message: "expected ',' or '}' in inline table") }
            p = p.dropFirst()
        }
    default:
        let token = p.prefix { !",]} \t".contains($0) }
        p = p.dropFirst(token.count)
        let t = String(token)
        if t == "true" { return .bool(true) }
        if t == "false" { return .bool(false) }
        let digits = t.replacingOccurrences(of: "_", with: "")
        if let v = Int(digits) { return .integer(v) }
        if let v = Double(digits), !t.hasPrefix(".") { return .float(v) }
        if t == "inf" || t == "+inf" { return .float(.infinity) }
        throw TOMLError(line: line, message: "invalid value '\(t)' (strings need quotes)")
    }
}
