// Parser: segments from the Lexer to a tree of `Node`s, with a recursive-descent expression
// parser following Jinja2's precedence (conditional < or < and < not < comparisons < + - <
// ~ < * / // % < ** < unary - + < filters and tests < postfix . [] ()). Every tag, filter,
// test, function and method outside the supported subset is rejected here, by name and position.

struct Parser {
    static let filters: Set<String> = [
        "abs", "capitalize", "count", "d", "default", "first", "float", "int", "items", "join", "last",
        "length", "list", "lower", "map", "reject", "rejectattr", "replace", "reverse", "safe", "select",
        "selectattr", "string", "title", "tojson", "trim", "upper",
    ]
    static let tests: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "even", "false", "float", "ge",
        "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne",
        "none", "number", "odd", "sequence", "string", "true", "undefined", "upper",
    ]
    static let methods: Set<String> = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower", "title",
        "capitalize", "replace", "join", "items", "keys", "values", "get",
    ]
    static let knownUnsupportedTags: Set<String> = [
        "macro", "endmacro", "call", "endcall", "filter", "endfilter", "block", "endblock", "extends",
        "include", "import", "from", "raw", "endraw", "with", "endwith", "autoescape", "endautoescape",
        "do", "trans", "endtrans",
    ]

    private var segments: [Segment]
    private var index = 0
    private var loopDepth = 0

    init(_ segments: [Segment]) { self.segments = segments }

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, end) = try parseBody(until: [])
        if let end { throw ChatTemplateError.syntax("unexpected '{% \(end.name) %}'", end.pos) }
        return nodes
    }

    private struct EndTag { var name: String; var tokens: [Token]; var pos: SourcePosition }

    /// Nodes up to one of the `until` tags (returned) or the end of the template (nil).
    private mutating func parseBody(until: Set<String>) throws -> ([Node], EndTag?) {
        var nodes: [Node] = []
        while index < segments.count {
            let seg = segments[index]
            index += 1
            switch seg {
            case .text(let s): nodes.append(.text(s))
            case .output(let toks, let pos, let end):
                var p = ExprParser(toks, end: end)
                guard !toks.isEmpty else { throw ChatTemplateError.syntax("empty expression", pos) }
                let e = try p.parseTuple(condExpr: true)
                try p.expectEnd()
                nodes.append(.output(e))
            case .statement(let toks, let pos, let end):
                guard case .name(let tag)? = toks.first?.kind else {
                    throw ChatTemplateError.syntax("expected a tag name", pos)
                }
                if until.contains(tag) { return (nodes, EndTag(name: tag, tokens: Array(toks.dropFirst()), pos: pos)) }
                var p = ExprParser(Array(toks.dropFirst()), end: end)
                nodes.append(contentsOf: try parseStatement(tag, &p, pos))
            }
        }
        return (nodes, nil)
    }

    private mutating func closing(_ until: Set<String>, for tag: String, at pos: SourcePosition) throws -> ([Node], EndTag) {
        let (body, end) = try parseBody(until: until)
        guard let end else {
            throw ChatTemplateError.syntax("unclosed '{% \(tag) %}' (expected \(until.sorted().map { "'{% \($0) %}'" }.joined(separator: " or ")))", pos)
        }
        return (body, end)
    }

    private mutating func parseStatement(_ tag: String, _ p: inout ExprParser, _ pos: SourcePosition) throws -> [Node] {
        switch tag {
        case "if":
            var branches: [(Expr, [Node])] = []
            var cond = try p.parseTuple(condExpr: false)
            try p.expectEnd()
            while true {
                let (body, end) = try closing(["elif", "else", "endif"], for: "if", at: pos)
                branches.append((cond, body))
                var q = ExprParser(end.tokens, end: end.pos)
                switch end.name {
                case "elif":
                    cond = try q.parseTuple(condExpr: false)
                    try q.expectEnd()
                case "else":
                    try q.expectEnd()
                    let (elseBody, fin) = try closing(["endif"], for: "if", at: pos)
                    let r = ExprParser(fin.tokens, end: fin.pos); try r.expectEnd()
                    return [.ifBlock(branches, elseBody)]
                default:
                    try q.expectEnd()
                    return [.ifBlock(branches, nil)]
                }
            }
        case "for":
            let targets = try p.parseTargetNames()
            try p.expectName("in")
            let iterable = try p.parseTuple(condExpr: false)
            var filter: Expr?
            if p.skipName("if") { filter = try p.parseExpression(condExpr: true) }
            if p.peekName("recursive") { throw ChatTemplateError.unsupported(construct: "recursive for loop", pos) }
            try p.expectEnd()
            loopDepth += 1
            let (body, end) = try closing(["else", "endfor"], for: "for", at: pos)
            loopDepth -= 1
            var elseBody: [Node] = []
            let q = ExprParser(end.tokens, end: end.pos); try q.expectEnd()
            if end.name == "else" {
                let (b, fin) = try closing(["endfor"], for: "for", at: pos)
                let r = ExprParser(fin.tokens, end: fin.pos); try r.expectEnd()
                elseBody = b
            }
            return [.forLoop(targets: targets, iterable: iterable, filter: filter, body: body, elseBody: elseBody, pos: pos)]
        case "set":
            let target = try p.parseSetTarget()
            if p.skipOp("=") {
                let value = try p.parseTuple(condExpr: true)
                try p.expectEnd()
                return [.set(target, value, pos)]
            }
            if p.peekOp("|") { throw ChatTemplateError.unsupported(construct: "filtered block set", pos) }
            try p.expectEnd()
            guard case .names(let names) = target, names.count == 1 else {
                throw ChatTemplateError.syntax("a block set assigns one name", pos)
            }
            let (body, end) = try closing(["endset"], for: "set", at: pos)
            let q = ExprParser(end.tokens, end: end.pos); try q.expectEnd()
            return [.setBlock(names[0], body)]
        case "break", "continue":
            try p.expectEnd()
            guard loopDepth > 0 else { throw ChatTemplateError.syntax("'{% \(tag) %}' outside a for loop", pos) }
            return [tag == "break" ? .loopBreak(pos) : .loopContinue(pos)]
        case "generation":
            // transformers' AssistantTracker tag: renders its body unchanged.
            try p.expectEnd()
            let (body, end) = try closing(["endgeneration"], for: "generation", at: pos)
            let q = ExprParser(end.tokens, end: end.pos); try q.expectEnd()
            return body
        default:
            if Self.knownUnsupportedTags.contains(tag) {
                throw ChatTemplateError.unsupported(construct: "'{% \(tag) %}' tag", pos)
            }
            if tag.hasPrefix("end") || tag == "else" || tag == "elif" {
                throw ChatTemplateError.syntax("unexpected '{% \(tag) %}'", pos)
            }
            throw ChatTemplateError.syntax("unknown tag '\(tag)'", pos)
        }
    }
}

/// Expression parser over one tag's tokens.
struct ExprParser {
    private let toks: [Token]
    private var i = 0
    private let endPos: SourcePosition

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
                throw ChatTemplateError.unsupported(construct: "function '\(n)'", callee.pos)
            }
            return Expr(kind: .call(b, args, kwargs), pos: p)
        case .attribute(let obj, let m):
            guard Parser.methods.contains(m) else {
                throw ChatTemplateError.unsupported(construct: "method '.\(m)()'", callee.pos)
            }
            return Expr(kind: .method(obj, m, args, kwargs), pos: p)
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
