// Jinja2 filters (`x | trim`, `| tojson(indent=4)`, `| join(", ")`, ...) and tests
// (`x is defined`, `is none`, `is string`, ...) with Jinja2 3.1's behaviour, `tojson` being
// transformers' override (json.dumps, ensure_ascii=False).

extension Evaluator {
    /// Filters that are generators in Jinja2: their errors surface only when the result is used.
    static let lazyFilters: Set<String> = ["items", "map", "select", "reject", "selectattr", "rejectattr", "unique"]

    func applyFilter(_ name: String, _ input: Value, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
        if name == "escape" || name == "e", case .markup = input { return input }
        guard Self.lazyFilters.contains(name) else { return try filterNow(name, input.plain, args, kwargs, pos) }
        do { return try filterNow(name, input.plain, args, kwargs, pos) }
        catch let e as ChatTemplateError { return .failedGenerator(e) }
    }

    private func filterNow(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
        let what = "filter '\(name)'"
        func check(_ max: Int, _ names: [String] = []) throws { try checkArgs(what, args, kwargs, max: max, names: names, pos) }
        switch name {
        case "trim":
            try check(1, ["chars"])
            return .string(pyStrip(v.str, try stringArg(arg(args, kwargs, 0, "chars"), "trim characters", pos)))
        case "upper": try check(0); return .string(v.str.uppercased())
        case "lower": try check(0); return .string(v.str.lowercased())
        case "capitalize": try check(0); return .string(pyCapitalize(v.str))
        case "title":
            try check(0)
            var out = "", atStart = true
            for c in v.str.unicodeScalars {
                out += atStart ? String(c).uppercased() : String(c).lowercased()
                atStart = isPySpace(c) || "-({[<".unicodeScalars.contains(c)
            }
            return .string(out)
        case "string": try check(0); return .string(v.str)
        case "safe": try check(0); return .markup(v.str)
        case "escape", "e":
            try check(0)
            return .markup(htmlEscape(v.str))
        case "replace":
            try check(3, ["old", "new", "count"])
            guard let old = try stringArg(arg(args, kwargs, 0, "old"), "replace old", pos),
                  let new = try stringArg(arg(args, kwargs, 1, "new"), "replace new", pos) else {
                throw ChatTemplateError.render("replace needs two strings", pos)
            }
            return .string(pyReplace(v.str, old, new, arg(args, kwargs, 2, "count")?.integer ?? -1))
        case "length", "count":
            try check(0)
            switch v {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a), .tuple(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            case .undefined: return .int(0)
            default: throw ChatTemplateError.render("object of type '\(v.typeName)' has no len()", pos)
            }
        case "default", "d":
            try check(2, ["default_value", "boolean"])
            let fallback = arg(args, kwargs, 0, "default_value") ?? .string("")
            let boolean = arg(args, kwargs, 1, "boolean")?.truthy ?? false
            return v.isUndefined || (boolean && !v.truthy) ? fallback : v
        case "first", "last":
            try check(0)
            if name == "last", case .generator = v { throw ChatTemplateError.render("'generator' object is not reversible", pos) }
            let items = try iterate(v, pos)
            return (name == "first" ? items.first : items.last) ?? .undefined("\(name) item of an empty sequence")
        case "list": try check(0); return .array(try iterate(v, pos))
        case "reverse":
            try check(0)
            switch v {
            case .string(let s): var r = ""; r.unicodeScalars.append(contentsOf: s.unicodeScalars.reversed()); return .string(r)
            // Python's reversed() of a generator fails, so Jinja2 falls back to a reversed list.
            case .generator, .failedGenerator: return .array(try iterate(v, pos).reversed())
            // reversed(sequence) is a lazy iterator: truthy, no length, no JSON.
            default: return .generator(try iterate(v, pos).reversed())
            }
        case "join":
            try check(2, ["d", "attribute"])
            let sep = arg(args, kwargs, 0, "d")?.str ?? ""
            var items = try iterate(v, pos)
            if let attr = arg(args, kwargs, 1, "attribute") { items = try items.map { try attributePath($0, attr, pos) } }
            return .string(items.map(\.str).joined(separator: sep))
        case "items":
            try check(0)
            switch v {
            case .object(let o): return .generator(o.pairs.map { .tuple([.string($0.0), $0.1]) })
            case .undefined: return .generator([])
            default: throw ChatTemplateError.render("can only get item pairs from a mapping, not \(v.typeName)", pos)
            }
        case "tojson":
            try check(4, ["ensure_ascii", "indent", "separators", "sort_keys"])
            let ensureASCII = arg(args, kwargs, 0, "ensure_ascii")?.truthy ?? false
            var indent: Int?
            switch arg(args, kwargs, 1, "indent") {
            case nil, .none?: indent = nil
            case .string(let s)?: throw ChatTemplateError.unsupported(construct: "tojson string indent '\(s)'", pos)
            case let x?:
                guard let n = x.integer else { throw ChatTemplateError.render("tojson indent must be an integer", pos) }
                indent = max(0, n)
            }
            var separators: (String, String)?
            if let s = arg(args, kwargs, 2, "separators"), s.truthy {
                let pair = try iterate(s, pos)
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw ChatTemplateError.render("tojson separators must be two strings", pos)
                }
                separators = (a, b)
            }
            let sortKeys = arg(args, kwargs, 3, "sort_keys")?.truthy ?? false
            do {
                return .string(try pythonJSON(v, indent: indent, sortKeys: sortKeys, ensureASCII: ensureASCII, separators: separators))
            } catch let e as JSONTypeError {
                throw ChatTemplateError.render("Object of type \(e.typeName) is not JSON serializable", pos)
            }
        case "int":
            try check(2, ["default", "base"])
            let fallback = arg(args, kwargs, 0, "default") ?? .int(0)
            if v.isUndefined { throw typeError("", v, pos) }
            switch v {
            case .int, .bool: return .int(v.integer ?? 0)
            case .double(let d): return d.isFinite ? .int(Int(d)) : fallback
            case .string(let s):
                let t = pyStrip(s, nil).replacingOccurrences(of: "_", with: "")
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            try check(1, ["default"])
            let fallback = arg(args, kwargs, 0, "default") ?? .double(0)
            if v.isUndefined { throw typeError("", v, pos) }
            switch v {
            case .int, .bool, .double: return .double(v.numeric ?? 0)
            case .string(let s): return Double(pyStrip(s, nil)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            try check(0)
            switch v {
            case .int(let i): return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw typeError("bad operand type for abs(): '\(v.typeName)'", v, pos)
            }
        case "map":
            let items = v.truthy ? try iterate(v, pos) : []
            if let attr = kwargs.first(where: { $0.0 == "attribute" })?.1 {
                guard args.isEmpty, kwargs.allSatisfy({ $0.0 == "attribute" || $0.0 == "default" }) else {
                    throw ChatTemplateError.render("map(attribute=...) takes only 'attribute' and 'default'", pos)
                }
                let fallback = kwargs.first { $0.0 == "default" }?.1
                return .generator(try items.map { x in
                    let r = try attributePath(x, attr, pos)
                    return r.isUndefined ? (fallback ?? r) : r
                })
            }
            guard case .string(let f)? = args.first, Parser.filters.contains(f) else {
                throw ChatTemplateError.render("map needs attribute= or a supported filter name", pos)
            }
            return .generator(try items.map { try applyFilter(f, $0, Array(args.dropFirst()), kwargs, pos) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttr = name.hasSuffix("attr")
            guard kwargs.isEmpty else { throw ChatTemplateError.render("\(what) takes no keyword arguments", pos) }
            var rest = args[...]
            var attr: Value?
            if byAttr {
                guard let a = rest.first else { throw ChatTemplateError.render("\(what) needs an attribute name", pos) }
                attr = a; rest = rest.dropFirst()
            }
            var test: String?
            if let t = rest.first {
                guard case .string(let s) = t else { throw ChatTemplateError.render("\(what) test name must be a string", pos) }
                test = s; rest = rest.dropFirst()
            }
            let keep = name.hasPrefix("select")
            return .generator(try (v.truthy ? iterate(v, pos) : []).filter { x in
                let subject = try attr.map { try attributePath(x, $0, pos) } ?? x
                let ok = try test.map { try applyTest($0, subject, Array(rest), pos) } ?? subject.truthy
                return ok == keep
            })
        case "dictsort":
            try check(3, ["case_sensitive", "by", "reverse"])
            guard case .object(let o) = v else { throw ChatTemplateError.render("dictsort needs a dict, not \(v.typeName)", pos) }
            let caseSensitive = arg(args, kwargs, 0, "case_sensitive")?.truthy ?? false
            let byValue: Bool
            switch arg(args, kwargs, 1, "by")?.str ?? "key" {
            case "key": byValue = false
            case "value": byValue = true
            default: throw ChatTemplateError.render("dictsort: You can only sort by either 'key' or 'value'", pos)
            }
            let pairs: [Value] = o.pairs.map { .tuple([.string($0.0), $0.1]) }
            return .array(try sorted(pairs, reverse: arg(args, kwargs, 2, "reverse")?.truthy ?? false, pos) {
                guard case .tuple(let kv) = $0 else { return $0 }
                return Self.foldCase(kv[byValue ? 1 : 0], caseSensitive)
            })
        case "sort", "unique", "min", "max":
            let names = name == "sort" ? ["reverse", "case_sensitive", "attribute"] : ["case_sensitive", "attribute"]
            try check(names.count, names)
            let off = name == "sort" ? 1 : 0
            let caseSensitive = arg(args, kwargs, off, "case_sensitive")?.truthy ?? false
            let attr = arg(args, kwargs, off + 1, "attribute")
            let key = { (x: Value) throws -> Value in
                guard let attr, !attr.isUndefined, !(attr.str.isEmpty) else { return Self.foldCase(x, caseSensitive) }
                let parts = attr.str.split(separator: ",").map { Value.string(String($0)) }
                if parts.count > 1 { return .tuple(try parts.map { Self.foldCase(try self.attributePath(x, $0, pos), caseSensitive) }) }
                return Self.foldCase(try self.attributePath(x, attr, pos), caseSensitive)
            }
            let items = try iterate(v, pos)
            switch name {
            case "sort": return .array(try sorted(items, reverse: arg(args, kwargs, 0, "reverse")?.truthy ?? false, pos, key))
            case "unique":
                var seen: [Value] = [], out: [Value] = []
                for x in items {
                    let k = try key(x)
                    if !seen.contains(where: { $0.equals(k) }) { seen.append(k); out.append(x) }
                }
                return .generator(out)
            default:
                let s = try sorted(items, reverse: name == "max", pos, key)
                return s.first ?? .undefined("No aggregated item, sequence was empty.")
            }
        default:
            throw ChatTemplateError.unsupported(construct: "filter '\(name)'", pos)
        }
    }

    /// Jinja2's ignore_case: strings compare lowercased unless case-sensitive.
    static func foldCase(_ v: Value, _ caseSensitive: Bool) -> Value {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// Python's `<` for sorting: numbers, strings (by code point), lists and tuples element-wise.
    func pyLess(_ a: Value, _ b: Value, _ pos: SourcePosition) throws -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !p.equals(q) { return try pyLess(p, q, pos) }
            return x.count < y.count
        default: return try compare("<", a, b, pos)
        }
    }

    /// A stable sort by `key` (Python's sorted; `reverse` keeps equal items in order).
    func sorted(_ items: [Value], reverse: Bool, _ pos: SourcePosition, _ key: (Value) throws -> Value) throws -> [Value] {
        let keyed = try items.enumerated().map { ($0.offset, try key($0.element), $0.element) }
        var failure: Error?
        let result = keyed.sorted { l, r in
            do {
                if try reverse ? pyLess(r.1, l.1, pos) : pyLess(l.1, r.1, pos) { return true }
                if try reverse ? pyLess(l.1, r.1, pos) : pyLess(r.1, l.1, pos) { return false }
            } catch { failure = error }
            return l.0 < r.0
        }
        if let failure { throw failure }
        return result.map { $0.2 }
    }

    /// Jinja2's attribute lookup for filters: a dotted path, integer parts index lists.
    func attributePath(_ v: Value, _ path: Value, _ pos: SourcePosition) throws -> Value {
        if let i = path.integer { return try item(v, .int(i), pos) }
        var cur = v
        for part in path.str.split(separator: ".", omittingEmptySubsequences: false) {
            cur = try item(cur, Int(part).map { .int($0) } ?? .string(String(part)), pos)
        }
        return cur
    }

    func applyTest(_ name: String, _ v: Value, _ args: [Value], _ pos: SourcePosition) throws -> Bool {
        let need = { (n: Int) throws in
            guard args.count == n else { throw ChatTemplateError.render("test '\(name)' takes \(n) argument(s)", pos) }
        }
        func cased(_ upper: Bool) -> Bool {
            let s = v.str
            let casedChars = s.unicodeScalars.filter { $0.properties.isCased }
            return !casedChars.isEmpty && casedChars.allSatisfy { upper ? $0.properties.isUppercase : $0.properties.isLowercase }
        }
        switch name {
        case "defined": try need(0); return !v.isUndefined
        case "undefined": try need(0); return v.isUndefined
        case "none": try need(0); if case .none = v { return true }; return false
        case "boolean": try need(0); if case .bool = v { return true }; return false
        case "true": try need(0); if case .bool(true) = v { return true }; return false
        case "false": try need(0); if case .bool(false) = v { return true }; return false
        case "integer": try need(0); if case .int = v { return true }; return false
        case "float": try need(0); if case .double = v { return true }; return false
        case "number": try need(0); return v.numeric != nil
        case "string": try need(0); if case .string = v { return true }; return false
        case "mapping": try need(0); if case .object = v { return true }; return false
        case "callable":
            try need(0)
            switch v { case .function, .macro: return true; default: return false }
        case "iterable", "sequence":
            try need(0)
            switch v {
            case .array, .tuple, .object, .string, .undefined: return true
            case .generator, .failedGenerator: return name == "iterable"
            default: return false
            }
        case "odd", "even", "divisibleby":
            try need(name == "divisibleby" ? 1 : 0)
            guard v.numeric != nil else { throw typeError("test '\(name)' needs a number, not \(v.typeName)", v, pos) }
            let divisor: Value = name == "divisibleby" ? args[0] : .int(2)
            // Python: value % divisor == (1 for odd, else 0).
            return try binary("%", v, divisor, pos).equals(.int(name == "odd" ? 1 : 0))
        case "eq", "equalto": try need(1); return v.equals(args[0])
        case "ne": try need(1); return !v.equals(args[0])
        case "lt", "lessthan": try need(1); return try compare("<", v, args[0], pos)
        case "le": try need(1); return try compare("<=", v, args[0], pos)
        case "gt", "greaterthan": try need(1); return try compare(">", v, args[0], pos)
        case "ge": try need(1); return try compare(">=", v, args[0], pos)
        case "in": try need(1); return try compare("in", v, args[0], pos)
        case "lower": try need(0); return cased(false)
        case "upper": try need(0); return cased(true)
        default: throw ChatTemplateError.unsupported(construct: "test '\(name)'", pos)
        }
    }
}
