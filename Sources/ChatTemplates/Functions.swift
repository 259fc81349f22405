// Global functions (raise_exception, strftime_now, namespace, range, dict), Python string and
// dict methods (.strip(), .split(), .startswith(), .items(), .get(), ...), transformers' `tojson`
// (json.dumps with ensure_ascii=False) and strftime for an injectable date.

import Foundation

/// Python's str.isspace for one character.
func isPySpace(_ c: Unicode.Scalar) -> Bool {
    (c.value >= 0x09 && c.value <= 0x0D) || (c.value >= 0x1C && c.value <= 0x20) || c.value == 0x85
        || c.properties.isWhitespace
}

/// Index (in scalars) of `needle` in `hay` at or after `from`; an empty needle is found at `from`.
func scalarFind(_ needle: String, in hay: String, from: Int) -> Int? {
    let n = Array(needle.unicodeScalars), h = Array(hay.unicodeScalars)
    if n.isEmpty { return from <= h.count ? from : nil }
    guard h.count >= n.count, from <= h.count - n.count else { return nil }
    for i in from...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return i }
    return nil
}

private func stringFrom<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
    var s = ""; s.unicodeScalars.append(contentsOf: scalars); return s
}

/// Python str.strip/lstrip/rstrip (`chars` nil: whitespace).
func pyStrip(_ s: String, _ chars: String?, left: Bool = true, right: Bool = true) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    let strip = { (c: Unicode.Scalar) in set?.contains(c) ?? isPySpace(c) }
    var u = Array(s.unicodeScalars)[...]
    if left { while let f = u.first, strip(f) { u = u.dropFirst() } }
    if right { while let l = u.last, strip(l) { u = u.dropLast() } }
    return stringFrom(u)
}

/// Python str.split(sep, maxsplit).
func pySplit(_ s: String, _ sep: String?, _ maxsplit: Int) -> [String] {
    let u = Array(s.unicodeScalars)
    var parts: [String] = []
    guard let sep else {
        var i = 0
        while i < u.count {
            while i < u.count, isPySpace(u[i]) { i += 1 }
            if i == u.count { break }
            if maxsplit >= 0 && parts.count == maxsplit {
                var end = u.count
                while end > i, isPySpace(u[end - 1]) { end -= 1 }
                parts.append(stringFrom(u[i..<end])); return parts
            }
            let start = i
            while i < u.count, !isPySpace(u[i]) { i += 1 }
            parts.append(stringFrom(u[start..<i]))
        }
        return parts
    }
    var start = 0
    while maxsplit < 0 || parts.count < maxsplit, let i = scalarFind(sep, in: s, from: start) {
        parts.append(stringFrom(u[start..<i]))
        start = i + sep.unicodeScalars.count
    }
    parts.append(stringFrom(u[start...]))
    return parts
}

/// Python str.replace(old, new, count).
func pyReplace(_ s: String, _ old: String, _ new: String, _ count: Int) -> String {
    let u = Array(s.unicodeScalars)
    var out = "", start = 0, done = 0
    if old.isEmpty {
        for c in u {
            if count < 0 || done < count { out += new; done += 1 }
            out.unicodeScalars.append(c)
        }
        if count < 0 || done < count { out += new }
        return out
    }
    while count < 0 || done < count, let i = scalarFind(old, in: s, from: start) {
        out += stringFrom(u[start..<i]) + new
        start = i + old.unicodeScalars.count
        done += 1
    }
    return out + stringFrom(u[start...])
}

/// Python str.capitalize.
func pyCapitalize(_ s: String) -> String {
    guard let f = s.unicodeScalars.first else { return s }
    return f.properties.titlecaseMapping + stringFrom(s.unicodeScalars.dropFirst()).lowercased()
}

/// Python str.title (a word starts after any uncased character).
func pyTitle(_ s: String) -> String {
    var out = "", prevCased = false
    for c in s.unicodeScalars {
        out += prevCased ? String(c).lowercased() : c.properties.titlecaseMapping
        prevCased = c.properties.isCased
    }
    return out
}

extension Evaluator {
    /// Positional-or-keyword argument `i`/`name` of a call.
    func arg(_ args: [Value], _ kwargs: [(String, Value)], _ i: Int, _ name: String) -> Value? {
        if i < args.count { return args[i] }
        return kwargs.first { $0.0 == name }?.1
    }

    func checkArgs(_ what: String, _ args: [Value], _ kwargs: [(String, Value)], max: Int, names: [String],
                   _ pos: SourcePosition) throws {
        if args.count > max { throw ChatTemplateError.render("\(what) takes at most \(max) arguments (\(args.count) given)", pos) }
        if let bad = kwargs.first(where: { !names.contains($0.0) }) {
            throw ChatTemplateError.render("\(what) got an unexpected keyword argument '\(bad.0)'", pos)
        }
    }

    func stringArg(_ v: Value?, _ what: String, _ pos: SourcePosition) throws -> String? {
        guard let v else { return nil }
        switch v {
        case .none: return nil
        case .string(let s): return s
        default: throw typeError("\(what) must be a string, not \(v.typeName)", v, pos)
        }
    }

    func callBuiltin(_ f: Builtin, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
        switch f {
        case .raiseException:
            throw ChatTemplateError.raised(args.first?.str ?? "", pos)
        case .strftimeNow:
            try checkArgs("strftime_now", args, kwargs, max: 1, names: [], pos)
            guard let fmt = try stringArg(args.first, "strftime_now format", pos) else {
                throw ChatTemplateError.render("strftime_now needs a format string", pos)
            }
            return .string(try strftime(fmt, pos))
        case .namespace, .dict:
            var attrs = OrderedValues()
            for a in args {
                guard case .object(let o) = a else { throw ChatTemplateError.render("\(f.rawValue)() positional argument must be a dict", pos) }
                for (k, v) in o.pairs { attrs[k] = v }
            }
            for (k, v) in kwargs { attrs[k] = v }
            if f == .dict { return .object(attrs) }
            if let bad = attrs.keys.first(where: { $0.hasPrefix("_") }) {
                throw ChatTemplateError.render("namespace attributes cannot start with '_' ('\(bad)')", pos)
            }
            let ns = Namespace(); ns.attributes = attrs
            return .namespace(ns)
        case .range:
            guard kwargs.isEmpty, (1...3).contains(args.count), args.allSatisfy({ $0.integer != nil }) else {
                throw ChatTemplateError.render("range() takes 1 to 3 integer arguments", pos)
            }
            let ints = args.compactMap(\.integer)
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count > 2 ? ints[2] : 1)
            guard step != 0 else { throw ChatTemplateError.render("range() arg 3 must not be zero", pos) }
            let r = stride(from: start, to: stop, by: step)
            guard r.underestimatedCount <= 100_000 else { throw ChatTemplateError.render("range too big", pos) }
            return .array(r.map { .int($0) })
        }
    }

    func callMethod(_ v: Value, _ name: String, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
        let what = "\(v.typeName).\(name)()"
        switch v {
        case .string(let s):
            switch name {
            case "strip", "lstrip", "rstrip":
                try checkArgs(what, args, kwargs, max: 1, names: [], pos)
                let chars = try stringArg(args.first, "\(what) argument", pos)
                return .string(pyStrip(s, chars, left: name != "rstrip", right: name != "lstrip"))
            case "startswith", "endswith":
                try checkArgs(what, args, kwargs, max: 1, names: [], pos)
                let options: [Value]
                switch args.first {
                case .string?: options = [args[0]]
                case .array(let xs)?, .tuple(let xs)?: options = xs
                default: throw ChatTemplateError.render("\(what) needs a string or a tuple of strings", pos)
                }
                let u = Array(s.unicodeScalars)
                for case .string(let p) in options {
                    let q = Array(p.unicodeScalars)
                    if q.count <= u.count && (name == "startswith" ? Array(u.prefix(q.count)) == q : Array(u.suffix(q.count)) == q) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            case "split":
                try checkArgs(what, args, kwargs, max: 2, names: ["sep", "maxsplit"], pos)
                let sep = try stringArg(arg(args, kwargs, 0, "sep"), "separator", pos)
                if sep == "" { throw ChatTemplateError.render("empty separator", pos) }
                let maxsplit = arg(args, kwargs, 1, "maxsplit")?.integer ?? -1
                return .array(pySplit(s, sep, maxsplit).map { .string($0) })
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(pyTitle(s))
            case "capitalize": return .string(pyCapitalize(s))
            case "replace":
                try checkArgs(what, args, kwargs, max: 3, names: [], pos)
                guard args.count >= 2, case .string(let old) = args[0], case .string(let new) = args[1] else {
                    throw ChatTemplateError.render("\(what) needs two strings", pos)
                }
                return .string(pyReplace(s, old, new, args.count > 2 ? (args[2].integer ?? -1) : -1))
            case "join":
                try checkArgs(what, args, kwargs, max: 1, names: [], pos)
                let items = try iterate(args.first ?? .undefined("join argument"), pos)
                var parts: [String] = []
                for x in items {
                    guard case .string(let p) = x else { throw ChatTemplateError.render("sequence item: expected str instance, \(x.typeName) found", pos) }
                    parts.append(p)
                }
                return .string(parts.joined(separator: s))
            default: break
            }
        case .object(let o):
            switch name {
            case "items": return .array(o.pairs.map { .tuple([.string($0.0), $0.1]) })
            case "keys": return .array(o.keys.map { .string($0) })
            case "values": return .array(o.pairs.map { $0.1 })
            case "get":
                try checkArgs(what, args, kwargs, max: 2, names: [], pos)
                guard case .string(let k)? = args.first else { return args.count > 1 ? args[1] : .none }
                return o[k] ?? (args.count > 1 ? args[1] : .none)
            default: break
            }
        case .undefined(let n):
            throw ChatTemplateError.render("'\(n)' is undefined (calling .\(name)())", pos)
        default: break
        }
        throw ChatTemplateError.render("'\(v.typeName)' object has no method '\(name)'", pos)
    }

    /// Python's strftime for the injected date (C locale; glibc's `%-d`-style unpadded forms).
    func strftime(_ fmt: String, _ pos: SourcePosition) throws -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: now)
        let (year, month, day) = (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        let (hour, minute, second) = (c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        let weekday = (c.weekday ?? 1) - 1  // 0 = Sunday
        let dayOfYear = cal.ordinality(of: .day, in: .year, for: now) ?? 1
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let monthName = months[(month - 1 + 12) % 12], dayName = days[(weekday + 7) % 7]
        var out = ""
        var it = Array(fmt.unicodeScalars).makeIterator()
        while let ch = it.next() {
            guard ch == "%" else { out.unicodeScalars.append(ch); continue }
            guard var d = it.next() else { out += "%"; break }
            var pad = true
            if d == "-" { pad = false; guard let n = it.next() else { break }; d = n }
            func num(_ v: Int, _ w: Int) -> String {
                let s = String(v)
                return pad && s.count < w ? String(repeating: "0", count: w - s.count) + s : s
            }
            switch d {
            case "Y": out += String(year)
            case "y": out += num(year % 100, 2)
            case "m": out += num(month, 2)
            case "d": out += num(day, 2)
            case "e": out += day < 10 ? " \(day)" : String(day)
            case "H": out += num(hour, 2)
            case "I": out += num(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "M": out += num(minute, 2)
            case "S": out += num(second, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "j": out += num(dayOfYear, 3)
            case "b", "h": out += String(monthName.prefix(3))
            case "B": out += monthName
            case "a": out += String(dayName.prefix(3))
            case "A": out += dayName
            case "%": out += "%"
            default: throw ChatTemplateError.unsupported(construct: "strftime directive '%\(d)'", pos)
            }
        }
        return out
    }
}

/// JSON exactly as Python's json.dumps(ensure_ascii=False by default) writes it.
func pythonJSON(_ v: Value, indent: Int?, sortKeys: Bool, ensureASCII: Bool, separators: (String, String)?,
                level: Int = 0) throws -> String {
    let (itemSep, keySep) = separators ?? (indent == nil ? (", ", ": ") : (",", ": "))
    func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || (ensureASCII && u.value > 0x7E) {
                    if u.value > 0xFFFF {
                        let x = u.value - 0x10000
                        out += String(format: "\\u%04x\\u%04x", 0xD800 + (x >> 10), 0xDC00 + (x & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", u.value)
                    }
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
    func container(_ parts: [String], _ open: String, _ close: String) -> String {
        if parts.isEmpty { return open + close }
        guard let indent else { return open + parts.joined(separator: itemSep) + close }
        let inner = "\n" + String(repeating: " ", count: indent * (level + 1))
        let outer = "\n" + String(repeating: " ", count: indent * level)
        return open + inner + parts.joined(separator: itemSep + inner) + outer + close
    }
    func sub(_ x: Value) throws -> String {
        try pythonJSON(x, indent: indent, sortKeys: sortKeys, ensureASCII: ensureASCII, separators: separators, level: level + 1)
    }
    switch v {
    case .none: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d):
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return pythonFloat(d)
    case .string(let s), .markup(let s): return string(s)
    case .array(let xs), .tuple(let xs): return container(try xs.map(sub), "[", "]")
    case .object(let o):
        var pairs = o.pairs
        if sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
        return container(try pairs.map { string($0.0) + keySep + (try sub($0.1)) }, "{", "}")
    case .undefined, .namespace, .function, .macro, .generator, .failedGenerator:
        throw JSONTypeError(typeName: v.typeName)
    }
}

struct JSONTypeError: Error { var typeName: String }
