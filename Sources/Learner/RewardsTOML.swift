// The learner's `[task] rewards = [{name="numeric", weight=0.5}, …]` (or the same list as
// `[[task.rewards]]` tables): TOML tables, keys in the order written, to the JSON reward list a
// task spec carries (`rewards=[…]`, docs/rewards.md), and back as inline tables for
// `--print-config`.

import Foundation
import Rewards

enum RewardsTOML {
    /// Why a TOML reward list cannot be a JSON one.
    struct Unusable: Error, CustomStringConvertible {
        var description: String
    }

    /// The compact JSON of a TOML array of inline tables.
    static func json(_ value: TOMLValue) throws -> String {
        guard case .array = value else {
            throw Unusable(description: "expected a list of reward tables, e.g. [{name=\"exact\", weight=1.0}]")
        }
        return try convert(value).serialized()
    }

    private static func convert(_ v: TOMLValue) throws -> JSONValue {
        switch v {
        case let .string(s): return .string(s)
        case let .integer(i): return .int(i)
        case let .float(d):
            guard d.isFinite else { throw Unusable(description: "\(d) is not a finite number") }
            return .double(d)
        case let .bool(b): return .bool(b)
        case let .array(a): return .array(try a.map(convert))
        case let .table(pairs): return .object(JSONObject(try pairs.map { ($0.key, try convert($0.value)) }))
        }
    }

    /// A compact JSON reward list as TOML inline tables (what `json` reads back).
    static func toml(_ json: String) -> String {
        guard let v = try? JSONValue.parse(json) else { return quote(json) }
        return write(v)
    }

    private static func write(_ v: JSONValue) -> String {
        switch v {
        case .null: return "\"\""
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        case let .string(s): return quote(s)
        case let .array(a): return "[" + a.map(write).joined(separator: ", ") + "]"
        case let .object(o):
            return "{" + o.map { k, v in (k.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? k : quote(k)) + " = " + write(v) }
                .joined(separator: ", ") + "}"
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where c.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
