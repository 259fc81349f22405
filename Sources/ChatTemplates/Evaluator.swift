// Evaluator: walks the tree with Jinja2's runtime semantics — a scope per for-loop iteration
// (assignments inside a loop do not leak out; namespace() attributes do), the `loop` object,
// `break`/`continue`, Python operators and Jinja2's default Undefined.

import Foundation

/// What a statement asks of the enclosing loop.
enum Flow { case normal, breakLoop, continueLoop }

struct Evaluator {
    private var scopes: [[String: Value]]
    private var macroDepth = 0
    private(set) var output = ""
    let now: Date
    let timeZone: TimeZone

    init(globals: [String: Value], now: Date, timeZone: TimeZone) {
        scopes = [globals]
        self.now = now
        self.timeZone = timeZone
    }

    // MARK: statements

    mutating func run(_ nodes: [Node]) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let s): output += s
            case .output(let e):
                let v = try eval(e)
                if case .failedGenerator(let error) = v { throw error }
                if case .generator = v { throw ChatTemplateError.render("printing a generator (add '| list')", e.pos) }
                output += v.str
            case .ifBlock(let branches, let elseBody):
                var taken = false
                for (cond, body) in branches {
                    guard try eval(cond).truthy else { continue }
                    taken = true
                    let f = try run(body)
                    if f != .normal { return f }
                    break
                }
                if !taken, let elseBody {
                    let f = try run(elseBody)
                    if f != .normal { return f }
                }
            case .forLoop(let targets, let iterable, let filter, let body, let elseBody, let pos):
                try runFor(targets, iterable, filter, body, elseBody, pos)
            case .set(let target, let e, let pos):
                let v = try eval(e)
                try assign(target, v, pos)
            case .setBlock(let name, let body):
                let saved = output
                output = ""
                _ = try run(body)
                scopes[scopes.count - 1][name] = .string(output)
                output = saved
            case .macro(let m): scopes[scopes.count - 1][m.name] = .macro(m)
            case .loopBreak: return .breakLoop
            case .loopContinue: return .continueLoop
            }
        }
        return .normal
    }

    private mutating func assign(_ target: SetTarget, _ v: Value, _ pos: SourcePosition) throws {
        switch target {
        case .names(let names):
            if names.count == 1 { scopes[scopes.count - 1][names[0]] = v; return }
            let items = try unpack(v, names.count, pos)
            for (n, x) in zip(names, items) { scopes[scopes.count - 1][n] = x }
        case .attribute(let name, let attr):
            guard case .namespace(let ns) = lookup(name) else {
                throw ChatTemplateError.render("cannot assign attribute '\(attr)' on '\(name)': it is not a namespace()", pos)
            }
            ns.attributes[attr] = v
        }
    }

    private func unpack(_ v: Value, _ n: Int, _ pos: SourcePosition) throws -> [Value] {
        let items = try iterate(v, pos)
        guard items.count == n else {
            throw ChatTemplateError.render("cannot unpack \(items.count) values into \(n) names", pos)
        }
        return items
    }

    private mutating func runFor(_ targets: [String], _ iterable: Expr, _ filter: Expr?, _ body: [Node],
                                 _ elseBody: [Node], _ pos: SourcePosition) throws {
        var items = try iterate(try evalPlain(iterable), iterable.pos)
        func bind(_ item: Value) throws -> [String: Value] {
            if targets.count == 1 { return [targets[0]: item] }
            var frame: [String: Value] = [:]
            for (n, x) in zip(targets, try unpack(item, targets.count, pos)) { frame[n] = x }
            return frame
        }
        if let filter {
            var kept: [Value] = []
            for item in items {
                scopes.append(try bind(item))
                defer { scopes.removeLast() }
                if try eval(filter).truthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            scopes.append([:])
            defer { scopes.removeLast() }
            _ = try run(elseBody)
            return
        }
        let n = items.count
        for (i, item) in items.enumerated() {
            var frame = try bind(item)
            var loop = OrderedValues()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(n - i)
            loop["revindex0"] = .int(n - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == n - 1)
            loop["length"] = .int(n)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
            loop["nextitem"] = i + 1 < n ? items[i + 1] : .undefined("loop.nextitem")
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            frame["loop"] = .object(loop)
            scopes.append(frame)
            defer { scopes.removeLast() }
            if try run(body) == .breakLoop { break }
        }
    }

    // MARK: expressions

    func lookup(_ name: String) -> Value {
        for frame in scopes.reversed() { if let v = frame[name] { return v } }
        if let b = Builtin(rawValue: name) { return .function(b) }
        return .undefined(name)
    }

    /// The value with Markup (from `| safe`) read as a plain string, for every use but `+`,
    /// output and assignment.
    func evalPlain(_ e: Expr) throws -> Value { try eval(e).plain }

    func eval(_ e: Expr) throws -> Value {
        switch e.kind {
        case .constant(let c): return Value(c)
        case .name(let n): return lookup(n)
        case .list(let xs): return .array(try xs.map { try eval($0) })
        case .tuple(let xs): return .tuple(try xs.map { try eval($0) })
        case .dict(let pairs):
            var o = OrderedValues()
            for (k, v) in pairs {
                guard case .string(let key) = try eval(k) else {
                    throw ChatTemplateError.render("dictionary keys must be strings", k.pos)
                }
                o[key] = try eval(v)
            }
            return .object(o)
        case .attribute(let obj, let name): return try attribute(try evalPlain(obj), name, e.pos)
        case .item(let obj, let key): return try item(try evalPlain(obj), try evalPlain(key), e.pos)
        case .slice(let obj, let a, let b, let c):
            return try slice(try evalPlain(obj), try a.map { try evalPlain($0) }, try b.map { try evalPlain($0) },
                             try c.map { try evalPlain($0) }, e.pos)
        case .call(let f, let args, let kwargs):
            return try callBuiltin(f, try args.map { try evalPlain($0) }, try kwargs.map { ($0.0, try evalPlain($0.1)) }, e.pos)
        case .callMacro(let name, let args, let kwargs):
            return try callMacro(name, try args.map { try evalPlain($0) }, try kwargs.map { ($0.0, try evalPlain($0.1)) }, e.pos)
        case .method(let obj, let name, let args, let kwargs):
            return try callMethod(try evalPlain(obj), name, try args.map { try evalPlain($0) },
                                  try kwargs.map { ($0.0, try evalPlain($0.1)) }, e.pos)
        case .filter(let v, let name, let args, let kwargs):
            return try applyFilter(name, try eval(v), try args.map { try evalPlain($0) },
                                   try kwargs.map { ($0.0, try evalPlain($0.1)) }, e.pos)
        case .test(let v, let name, let args, let negated):
            let r = try applyTest(name, try evalPlain(v), try args.map { try evalPlain($0) }, e.pos)
            return .bool(r != negated)
        case .not(let x): return .bool(!(try evalPlain(x).truthy))
        case .negate(let x):
            switch try evalPlain(x) {
            case .int(let i): return .int(-i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case let v: throw typeError("bad operand type for unary -: '\(v.typeName)'", v, e.pos)
            }
        case .plus(let x):
            let v = try evalPlain(x)
            guard v.numeric != nil else { throw typeError("bad operand type for unary +: '\(v.typeName)'", v, e.pos) }
            return v
        case .binary(let op, let l, let r): return try binary(op, try eval(l), try eval(r), e.pos)
        case .compare(let first, let ops):
            var left = try evalPlain(first)
            for (op, rhs) in ops {
                let right = try evalPlain(rhs)
                if !(try compare(op, left, right, rhs.pos)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let a, let b):
            let l = try eval(a)
            return l.truthy ? try eval(b) : l
        case .or(let a, let b):
            let l = try eval(a)
            return l.truthy ? l : try eval(b)
        case .conditional(let then, let cond, let otherwise):
            if try eval(cond).truthy { return try eval(then) }
            return try otherwise.map { try eval($0) } ?? .undefined("conditional expression without else")
        }
    }

    /// Runs a template macro: its own scope of parameters (defaults evaluated in order) over the
    /// template's top-level variables; the caller's loop variables are not visible (as in Jinja2).
    func callMacro(_ name: String, _ args: [Value], _ kwargs: [(String, Value)], _ pos: SourcePosition) throws -> Value {
        guard case .macro(let m) = lookup(name) else {
            throw ChatTemplateError.render("'\(name)' is undefined or not a macro", pos)
        }
        guard args.count <= m.params.count else {
            throw ChatTemplateError.render("macro '\(name)' takes not more than \(m.params.count) argument(s)", pos)
        }
        if let bad = kwargs.first(where: { kw in !m.params.contains { $0.0 == kw.0 } }) {
            throw ChatTemplateError.render("macro '\(name)' has no parameter '\(bad.0)'", pos)
        }
        guard macroDepth < 64 else { throw ChatTemplateError.render("macro recursion too deep", pos) }
        var sub = Evaluator(globals: scopes[0], now: now, timeZone: timeZone)
        sub.macroDepth = macroDepth + 1
        sub.scopes.append([:])
        for (i, (param, dflt)) in m.params.enumerated() {
            let v: Value
            if i < args.count { v = args[i] }
            else if let kw = kwargs.last(where: { $0.0 == param }) { v = kw.1 }
            else if let dflt { v = try sub.eval(dflt) }
            else { v = .undefined(param) }
            sub.scopes[1][param] = v
        }
        _ = try sub.run(m.body)
        return .string(sub.output)
    }

    /// The error for using `v`: Undefined gets Jinja2's "'x' is undefined", others `message`.
    func typeError(_ message: String, _ v: Value, _ pos: SourcePosition) -> ChatTemplateError {
        if case .undefined(let n) = v { return .render("'\(n)' is undefined", pos) }
        return .render(message, pos)
    }

    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "pop", "copy", "update", "clear", "setdefault", "popitem", "fromkeys"]

    func attribute(_ v: Value, _ name: String, _ pos: SourcePosition) throws -> Value {
        switch v {
        case .undefined(let n): throw ChatTemplateError.render("'\(n)' is undefined (reading '.\(name)')", pos)
        case .object(let o):
            if Self.dictMethods.contains(name) {
                throw ChatTemplateError.render("'.\(name)' of a dict is its method in Jinja2; call it or use ['\(name)']", pos)
            }
            return o[name] ?? .undefined(name)
        case .namespace(let ns): return ns.attributes[name] ?? .undefined(name)
        case .string, .array:
            if Parser.methods.contains(name) {
                throw ChatTemplateError.render("'.\(name)' of a \(v.typeName) is a method; call it", pos)
            }
            return .undefined(name)
        default: return .undefined(name)
        }
    }

    func item(_ v: Value, _ key: Value, _ pos: SourcePosition) throws -> Value {
        switch (v, key) {
        case (.undefined(let n), _): throw ChatTemplateError.render("'\(n)' is undefined (reading an item)", pos)
        case (.object(let o), .string(let k)): return o[k] ?? .undefined(k)
        case (.namespace(let ns), .string(let k)): return ns.attributes[k] ?? .undefined(k)
        case (.array(let a), _), (.tuple(let a), _):
            guard let i = key.integer else { return .undefined("list item") }
            let j = i < 0 ? a.count + i : i
            return a.indices.contains(j) ? a[j] : .undefined("list item \(i)")
        case (.string(let s), _):
            guard let i = key.integer else { return .undefined("string item") }
            let u = Array(s.unicodeScalars)
            let j = i < 0 ? u.count + i : i
            return u.indices.contains(j) ? .string(String(Character(u[j]))) : .undefined("string item \(i)")
        case (_, .string(let k)): return try attribute(v, k, pos)
        default: return .undefined("item")
        }
    }

    func slice(_ v: Value, _ a: Value?, _ b: Value?, _ c: Value?, _ pos: SourcePosition) throws -> Value {
        func bound(_ x: Value?) throws -> Int? {
            guard let x else { return nil }
            if case .none = x { return nil }
            guard let i = x.integer else { throw ChatTemplateError.render("slice indices must be integers or None", pos) }
            return i
        }
        let step = try bound(c) ?? 1
        guard step != 0 else { throw ChatTemplateError.render("slice step cannot be zero", pos) }
        func indices(_ n: Int) throws -> [Int] {
            func clamp(_ x: Int?, _ dflt: Int) -> Int {
                guard var x else { return dflt }
                if x < 0 { x += n }
                return step > 0 ? min(max(x, 0), n) : min(max(x, -1), n - 1)
            }
            let start = clamp(try bound(a), step > 0 ? 0 : n - 1)
            let stop = clamp(try bound(b), step > 0 ? n : -1)
            return Array(stride(from: start, to: stop, by: step))
        }
        switch v {
        case .array(let xs): return .array(try indices(xs.count).map { xs[$0] })
        case .tuple(let xs): return .tuple(try indices(xs.count).map { xs[$0] })
        case .string(let s):
            let u = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(u.count) { out.append(u[i]) }
            var r = ""; r.unicodeScalars = out
            return .string(r)
        default: throw typeError("'\(v.typeName)' object is not subscriptable", v, pos)
        }
    }

    /// Python iteration: lists, dict keys, string characters; Undefined iterates as empty.
    func iterate(_ v: Value, _ pos: SourcePosition) throws -> [Value] {
        switch v {
        case .array(let a), .tuple(let a), .generator(let a): return a
        case .failedGenerator(let e): throw e
        case .object(let o): return o.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String(Character($0))) }
        case .undefined: return []
        default: throw ChatTemplateError.render("'\(v.typeName)' object is not iterable", pos)
        }
    }
}
