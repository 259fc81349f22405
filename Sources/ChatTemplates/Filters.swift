// Jinja2 filters (`x | trim`, `| tojson(indent=4)`, `| join(", ")`, ...) and tests
// (`x is defined`, `is none`, `is string`, ...) with Jinja2 3.1's behaviour, `tojson` being
// transformers' override (json.dumps, ensure_ascii=False).

extension Evaluator {
    func applyFilter(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
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
        case "safe": try check(0); return v
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
            let items = try iterate(v, pos)
            return (name == "first" ? items.first : items.last) ?? .undefined("\(name) item of an empty sequence")
        case "list": try check(0); return .array(try iterate(v, pos))
        case "reverse":
            try check(0)
            if case .string(let s) = v { var r = ""; r.unicodeScalars.append(contentsOf: s.unicodeScalars.reversed()); return .string(r) }
            return .array(try iterate(v, pos).reversed())
        case "join":
            try check(2, ["d", "attribute"])
            let sep = arg(args, kwargs, 0, "d")?.str ?? ""
            var items = try iterate(v, pos)
            if let attr = arg(args, kwargs, 1, "attribute") { items = try items.map { try attributePath($0, attr, pos) } }
            return .string(items.map(\.str).joined(separator: sep))
        case "items":
            try check(0)
            switch v {
            case .object(let o): return .array(o.pairs.map { .tuple([.string($0.0), $0.1]) })
            case .undefined: return .array([])
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
                return .array(try items.map { x in
                    let r = try attributePath(x, attr, pos)
                    return r.isUndefined ? (fallback ?? r) : r
                })
            }
            guard case .string(let f)? = args.first, Parser.filters.contains(f) else {
                throw ChatTemplateError.render("map needs attribute= or a supported filter name", pos)
            }
            return .array(try items.map { try applyFilter(f, $0, Array(args.dropFirst()), kwargs, pos) })
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
            return .array(try (v.truthy ? iterate(v, pos) : []).filter { x in
                let subject = try attr.map { try attributePath(x, $0, pos) } ?? x
                let ok = try test.map { try applyTest($0, subject, Array(rest), pos) } ?? subject.truthy
                return ok == keep
            })
        default:
            throw ChatTemplateError.unsupported(construct: "filter '\(name)'", pos)
        }
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
            default: return false
            }
        case "odd", "even", "divisibleby":
            try need(name == "divisibleby" ? 1 : 0)
            guard let i = v.integer else { throw typeError("test '\(name)' needs an integer, not \(v.typeName)", v, pos) }
            if name == "divisibleby" {
                guard let d = args[0].integer, d != 0 else { throw ChatTemplateError.render("divisibleby needs a non-zero integer", pos) }
                return i % d == 0
            }
            return (abs(i) % 2 == 1) == (name == "odd")
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
