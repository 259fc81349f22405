// Expression parser for the tokens of one tag: Jinja2's grammar and precedence, with the
// supported filters, tests, functions and methods checked here so that a template using
// anything else fails at parse time with the construct's name and position.

/// Expression parser over one tag's tokens.
struct ExprParser {
    private let toks: [Token]
    private var i = 0
    private let endPos: SourcePosition
    /// Calls of names that are not built-in functions (they must be macros of the template).
    private(set) var macroCalls: [(String, SourcePosition)] = []

    init(_ toks: [Token], end: SourcePosition) { self.toks = toks; self.endPos = end }

    private var cur: Token? { i < toks.count ? toks[i] : nil }
    private var pos: SourcePosition { cur?.pos ?? endPos }

    func peekOp(_ s: String) -> Bool { if case .op(s)? = cur?.kind { return true }; return false }
    func peekName(_ s: String) -> Bool { if case .name(s)? = cur?.kind { return true }; return false }
    mutating func skipOp(_ s: String) -> Bool { if peekOp(s) { i += 1; return true }; return false }
    mutating func skipName(_ s: String) -> Bool { if peekName(s) { i += 1; return true }; return false }

    private func describe(_ t: Token?) -> String {
        guard let t else { return "end of tag" }
        switch t.kind {
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .int(let n): return "\(n)"
        case .double(let d): return "\(d)"
        case .op(let o): return "'\(o)'"
        }
    }
    private func fail(_ expected: String) -> ChatTemplateError {
        .syntax("expected \(expected), found \(describe(cur))", pos)
    }
    mutating func expectOp(_ s: String) throws { guard skipOp(s) else { throw fail("'\(s)'") } }
    mutating func expectName(_ s: String) throws { guard skipName(s) else { throw fail("'\(s)'") } }
    func expectEnd() throws { if cur != nil { throw fail("end of tag") } }
    mutating func name() throws -> String {
        guard case .name(let n)? = cur?.kind else { throw fail("a name") }
        i += 1
        return n
    }

    /// `a` or `a, b` (optionally parenthesized) as for-loop targets.
    mutating func parseTargetNames() throws -> [String] {
        let paren = skipOp("(")
        var names = [try name()]
        while skipOp(",") { if peekName("in") || peekOp(")") { break }; names.append(try name()) }
        if paren { try expectOp(")") }
        return names
    }

    mutating func parseSetTarget() throws -> SetTarget {
        let first = try name()
        if skipOp(".") { return .attribute(first, try name()) }
        var names = [first]
        while skipOp(",") { if peekOp("=") { break }; names.append(try name()) }
        return .names(names)
    }

    /// An expression, or a tuple if commas follow.
    mutating func parseTuple(condExpr: Bool) throws -> Expr {
        let start = pos
        let first = try parseExpression(condExpr: condExpr)
        guard peekOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if cur == nil || peekOp("=") { break }
            items.append(try parseExpression(condExpr: condExpr))
        }
        return Expr(kind: .tuple(items), pos: start)
    }

    mutating func parseExpression(condExpr: Bool) throws -> Expr {
        condExpr ? try parseCondExpr() : try parseOr()
    }

    private mutating func parseCondExpr() throws -> Expr {
        var e = try parseOr()
        while peekName("if") {
            let p = pos; i += 1
            let cond = try parseOr()
            let other: Expr? = skipName("else") ? try parseCondExpr() : nil
            e = Expr(kind: .conditional(then: e, cond: cond, otherwise: other), pos: p)
        }
        return e
    }

    private mutating func parseOr() throws -> Expr {
        var e = try parseAnd()
        while peekName("or") { let p = pos; i += 1; e = Expr(kind: .or(e, try parseAnd()), pos: p) }
        return e
    }

    private mutating func parseAnd() throws -> Expr {
        var e = try parseNot()
        while peekName("and") { let p = pos; i += 1; e = Expr(kind: .and(e, try parseNot()), pos: p) }
        return e
    }

    private mutating func parseNot() throws -> Expr {
        if peekName("not") { let p = pos; i += 1; return Expr(kind: .not(try parseNot()), pos: p) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let start = pos
        let e = try parseMath1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o)? = cur?.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                i += 1; ops.append((o, try parseMath1()))
            } else if skipName("in") {
                ops.append(("in", try parseMath1()))
            } else if peekName("not"), i + 1 < toks.count, case .name("in") = toks[i + 1].kind {
                i += 2; ops.append(("notin", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? e : Expr(kind: .compare(e, ops), pos: start)
    }

    private mutating func binaryLoop(_ ops: [String], _ next: (inout ExprParser) throws -> Expr) throws -> Expr {
        var e = try next(&self)
        while case .op(let o)? = cur?.kind, ops.contains(o) {
            let p = pos; i += 1
            e = Expr(kind: .binary(o, e, try next(&self)), pos: p)
        }
        return e
    }
    private mutating func parseMath1() throws -> Expr { try binaryLoop(["+", "-"]) { try $0.parseConcat() } }
    private mutating func parseConcat() throws -> Expr { try binaryLoop(["~"]) { try $0.parseMath2() } }
    private mutating func parseMath2() throws -> Expr { try binaryLoop(["*", "/", "//", "%"]) { try $0.parsePow() } }
    private mutating func parsePow() throws -> Expr { try binaryLoop(["**"]) { try $0.parseUnary(withFilter: true) } }

    private mutating func parseUnary(withFilter: Bool) throws -> Expr {
        let p = pos
        var e: Expr
        if skipOp("-") { e = Expr(kind: .negate(try parseUnary(withFilter: false)), pos: p) }
        else if skipOp("+") { e = Expr(kind: .plus(try parseUnary(withFilter: false)), pos: p) }
        else { e = try parsePostfix(try parsePrimary()) }
        return withFilter ? try parseFilterExpr(e) : e
    }

    private mutating func parsePrimary() throws -> Expr {
        guard let t = cur else { throw fail("an expression") }
        let p = t.pos
        switch t.kind {
        case .name(let n):
            i += 1
            switch n {
            case "true", "True": return Expr(kind: .constant(.bool(true)), pos: p)
            case "false", "False": return Expr(kind: .constant(.bool(false)), pos: p)
            case "none", "None": return Expr(kind: .constant(.none), pos: p)
            default: return Expr(kind: .name(n), pos: p)
            }
        case .string(var s):
            i += 1
            while case .string(let more)? = cur?.kind { s += more; i += 1 }
            return Expr(kind: .constant(.string(s)), pos: p)
        case .int(let n): i += 1; return Expr(kind: .constant(.int(n)), pos: p)
        case .double(let d): i += 1; return Expr(kind: .constant(.double(d)), pos: p)
        case .op("("):
            i += 1
            if skipOp(")") { return Expr(kind: .tuple([]), pos: p) }
            let first = try parseExpression(condExpr: true)
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") { if peekOp(")") { break }; items.append(try parseExpression(condExpr: true)) }
            try expectOp(")")
            return Expr(kind: .tuple(items), pos: p)
        case .op("["):
            i += 1
            var items: [Expr] = []
            while !peekOp("]") {
                if !items.isEmpty { try expectOp(","); if peekOp("]") { break } }
                items.append(try parseExpression(condExpr: true))
            }
            try expectOp("]")
            return Expr(kind: .list(items), pos: p)
        case .op("{"):
            i += 1
            var items: [(Expr, Expr)] = []
            while !peekOp("}") {
                if !items.isEmpty { try expectOp(","); if peekOp("}") { break } }
                let k = try parseExpression(condExpr: true)
                try expectOp(":")
                items.append((k, try parseExpression(condExpr: true)))
            }
            try expectOp("}")
            return Expr(kind: .dict(items), pos: p)
        default:
            throw fail("an expression")
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var e = start
        while true {
            let p = pos
            if skipOp(".") {
                guard let t = cur else { throw fail("an attribute name") }
                switch t.kind {
                case .name(let n): i += 1; e = Expr(kind: .attribute(e, n), pos: p)
                case .int(let n): i += 1; e = Expr(kind: .item(e, Expr(kind: .constant(.int(n)), pos: t.pos)), pos: p)
                default: throw fail("an attribute name")
                }
            } else if skipOp("[") {
                e = try parseSubscript(e, p)
            } else if peekOp("(") {
                e = try parseCall(e)
            } else { return e }
        }
    }

    private mutating func parseSubscript(_ e: Expr, _ p: SourcePosition) throws -> Expr {
        var parts: [Expr?] = [nil]
        var isSlice = false
        while !peekOp("]") {
            if skipOp(":") { isSlice = true; parts.append(nil); continue }
            guard parts[parts.count - 1] == nil else { throw fail("']'") }
            parts[parts.count - 1] = try parseExpression(condExpr: true)
            if peekOp(",") { throw ChatTemplateError.unsupported(construct: "tuple subscript", pos) }
        }
        try expectOp("]")
        if !isSlice {
            guard let index = parts[0] else { throw ChatTemplateError.syntax("empty subscript", p) }
            return Expr(kind: .item(e, index), pos: p)
        }
        guard parts.count <= 3 else { throw ChatTemplateError.syntax("bad slice", p) }
        return Expr(kind: .slice(e, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil), pos: p)
    }

    private mutating func parseArgs() throws -> ([Expr], [(String, Expr)]) {
        try expectOp("(")
        var args: [Expr] = [], kwargs: [(String, Expr)] = []
        while !peekOp(")") {
            if !args.isEmpty || !kwargs.isEmpty { try expectOp(","); if peekOp(")") { break } }
            if peekOp("*") || peekOp("**") { throw ChatTemplateError.unsupported(construct: "*args/**kwargs in a call", pos) }
            if case .name(let n)? = cur?.kind, i + 1 < toks.count, case .op("=") = toks[i + 1].kind {
                i += 2
                kwargs.append((n, try parseExpression(condExpr: true)))
            } else {
                guard kwargs.isEmpty else { throw ChatTemplateError.syntax("positional argument after keyword argument", pos) }
                args.append(try parseExpression(condExpr: true))
            }
        }
        try expectOp(")")
        return (args, kwargs)
    }

    private mutating func parseCall(_ callee: Expr) throws -> Expr {
        let p = pos
        let (args, kwargs) = try parseArgs()
        switch callee.kind {
        case .name(let n):
            guard let b = Builtin(rawValue: n) else {
                macroCalls.append((n, callee.pos))
                return Expr(kind: .callMacro(n, args, kwargs), pos: callee.pos)
            }
            return Expr(kind: .call(b, args, kwargs), pos: callee.pos)
        case .attribute(let obj, let m):
            guard Parser.methods.contains(m) else {
                throw ChatTemplateError.unsupported(construct: "method '.\(m)()'", callee.pos)
            }
            return Expr(kind: .method(obj, m, args, kwargs), pos: callee.pos)
        default:
            throw ChatTemplateError.unsupported(construct: "call of a computed value", p)
        }
    }

    private mutating func parseFilterExpr(_ start: Expr) throws -> Expr {
        var e = start
        while true {
            let p = pos
            if skipOp("|") {
                let f = try name()
                guard Parser.filters.contains(f) else { throw ChatTemplateError.unsupported(construct: "filter '\(f)'", p) }
                var args: [Expr] = [], kwargs: [(String, Expr)] = []
                if peekOp("(") { (args, kwargs) = try parseArgs() }
                e = Expr(kind: .filter(e, f, args, kwargs), pos: p)
            } else if skipName("is") {
                let negated = skipName("not")
                let t = try name()
                guard Parser.tests.contains(t) else { throw ChatTemplateError.unsupported(construct: "test '\(t)'", p) }
                var args: [Expr] = []
                if peekOp("(") {
                    let (a, kw) = try parseArgs()
                    guard kw.isEmpty else { throw ChatTemplateError.unsupported(construct: "keyword arguments to a test", p) }
                    args = a
                } else if let c = cur, startsArgument(c) {
                    args = [try parsePostfix(try parsePrimary())]
                }
                e = Expr(kind: .test(e, t, args, negated: negated), pos: p)
            } else if peekOp("(") {
                e = try parseCall(e)
            } else { return e }
        }
    }

    private func startsArgument(_ t: Token) -> Bool {
        switch t.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .int, .double: return true
        case .op(let o): return o == "(" || o == "[" || o == "{"
        }
    }
}
