// The configuration file reader: TOML documents (the full grammar, through TOMLKit: tables,
// arrays of tables, dotted keys, inline tables, multi-line strings, comments) as a flat map of
// dotted keys (`table.key`) to values, with parse errors that name the line and column.
// Inline tables and the tables of an array of tables become `.table` values whose keys keep
// the order written (TOMLLayout.swift recovers it). Dates and times are refused: no setting
// takes one.

import TOMLKit

/// A TOML value.
package enum TOMLValue: Equatable, Sendable {
    case string(String), integer(Int), float(Double), bool(Bool), array([TOMLValue])
    /// An inline table (or a table of an array of tables), its keys in the order written.
    case table([TOMLKeyValue])
}

/// One `key = value` of an inline table.
package struct TOMLKeyValue: Equatable, Sendable {
    package var key: String
    package var value: TOMLValue
    package init(_ key: String, _ value: TOMLValue) { self.key = key; self.value = value }
}

/// A parse error with its 1-based line (and column, 0 when unknown).
package struct TOMLError: Error, Equatable, CustomStringConvertible, Sendable {
    package var line: Int
    package var column: Int
    package var message: String
    package init(line: Int, column: Int = 0, message: String) { self.line = line; self.column = column; self.message = message }
    package var description: String { column > 0 ? "line \(line), column \(column): \(message)" : "line \(line): \(message)" }
}

/// Parses TOML text into a flat map of dotted keys (`table.key`, `table.sub.key`) to values:
/// tables written with headers or dotted keys are flattened; inline tables, arrays and arrays
/// of tables are values.
package func parseTOML(_ text: String) throws -> [String: TOMLValue] {
    let root: TOMLTable
    do { root = try TOMLTable(string: text) } catch let e as TOMLParseError {
        // toml++'s words, with the hint the hand-written reader gave for a bare word.
        let hint = e.description.contains("could not determine value type") ? " (strings need quotes)" : ""
        throw TOMLError(line: e.source.begin.line, column: e.source.begin.column, message: e.description + hint)
    }
    let reader = TOMLReader(layout: TOMLLayout(scanning: text))
    var out: [String: TOMLValue] = [:]
    try reader.flatten(root, path: [], into: &out)
    return out
}

/// TOMLKit's tree → `TOMLValue`s, with the layout's key order and lines.
private struct TOMLReader {
    let layout: TOMLLayout

    func flatten(_ table: TOMLTable, path: [TOMLPathStep], into out: inout [String: TOMLValue]) throws {
        for key in ordered(table.keys, at: path) {
            guard let value = table[key] else { continue }
            let p = path + [.key(key)]
            if let sub = value.table, !sub.inline {
                try flatten(sub, path: p, into: &out)
                continue
            }
            let name = dotted(p)
            guard out[name] == nil else { throw error(at: p, "duplicate key '\(name)'") }
            out[name] = try convert(value, at: p)
        }
    }

    private func convert(_ v: any TOMLValueConvertible, at path: [TOMLPathStep]) throws -> TOMLValue {
        switch v.type {
        case .string: if let s = v.string { return .string(s) }
        case .int: if let i = v.int { return .integer(i) }
        case .double: if let d = v.double { return .float(d) }
        case .bool: if let b = v.bool { return .bool(b) }
        case .array:
            if let a = v.array { return .array(try a.enumerated().map { try convert($1, at: path + [.index($0)]) }) }
        case .table:
            if let t = v.table {
                return .table(try ordered(t.keys, at: path).compactMap { k in
                    try t[k].map { TOMLKeyValue(k, try convert($0, at: path + [.key(k)])) }
                })
            }
        case .date, .time, .dateTime:
            throw error(at: path, "'\(dotted(path))': dates and times are not used by any setting (quote the value to make it a string)")
        }
        throw error(at: path, "'\(dotted(path))': unreadable \(v.type) value")
    }

    /// `keys` in the order the document wrote them (any the scan missed last, sorted).
    private func ordered(_ keys: [String], at path: [TOMLPathStep]) -> [String] {
        let written = (layout.keys(of: path) ?? []).filter(keys.contains)
        return written + keys.filter { !written.contains($0) }.sorted()
    }

    private func dotted(_ path: [TOMLPathStep]) -> String {
        path.reduce(into: "") { s, step in
            switch step {
            case let .key(k): s += s.isEmpty ? k : "." + k
            case let .index(i): s += "[\(i)]"
            }
        }
    }

    private func error(at path: [TOMLPathStep], _ message: String) -> TOMLError {
        // The line of the nearest enclosing key the scan placed.
        for n in stride(from: path.count, to: 0, by: -1) {
            if let p = layout.positions[Array(path.prefix(n))] { return TOMLError(line: p.line, column: p.column, message: message) }
        }
        return TOMLError(line: 1, message: message)
    }
}
