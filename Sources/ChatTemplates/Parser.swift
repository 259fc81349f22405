// Parser: segments from the Lexer to a tree of `Node`s (for/if/set/break/continue/generation
// tags; expressions via ExprParser, Jinja2's precedence: conditional < or < and < not <
// comparisons < + - < ~ < * / // % < ** < unary - + < filters and tests < postfix . [] ()).
// Every tag, filter, test, function and method outside the supported subset is rejected here.

struct Parser {
    static let filters: Set<String> = [
        "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse",
        "safe", "select", "selectattr", "sort", "string", "title", "tojson", "trim", "unique", "upper",
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
        "call", "endcall", "filter", "endfilter", "block", "endblock", "extends",
        "include", "import", "from", "raw", "endraw", "with", "endwith", "autoescape", "endautoescape",
        "do", "trans", "endtrans",
    ]

    private var segments: [Segment]
    private var index = 0
    private var loopDepth = 0
    private var macroNames: Set<String> = []
    private var macroCalls: [(String, SourcePosition)] = []

    init(_ segments: [Segment]) { self.segments = segments }

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, end) = try parseBody(until: [])
        if let end { throw ChatTemplateError.syntax("unexpected '{% \(end.name) %}'", end.pos) }
        if let (name, pos) = macroCalls.first(where: { !macroNames.contains($0.0) }) {
            throw ChatTemplateError.unsupported(construct: "function '\(name)'", pos)
        }
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
                macroCalls += p.macroCalls
                nodes.append(.output(e))
            case .statement(let toks, let pos, let end):
                guard case .name(let tag)? = toks.first?.kind else {
                    throw ChatTemplateError.syntax("expected a tag name", pos)
                }
                if until.contains(tag) { return (nodes, EndTag(name: tag, tokens: Array(toks.dropFirst()), pos: pos)) }
                var p = ExprParser(Array(toks.dropFirst()), end: end)
                nodes.append(contentsOf: try parseStatement(tag, &p, pos))
                macroCalls += p.macroCalls
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
                    macroCalls += q.macroCalls
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
        case "macro":
            let name = try p.name()
            var params: [(String, Expr?)] = []
            try p.expectOp("(")
            while !p.peekOp(")") {
                if !params.isEmpty { try p.expectOp(","); if p.peekOp(")") { break } }
                let param = try p.name()
                params.append((param, p.skipOp("=") ? try p.parseExpression(condExpr: true) : nil))
            }
            try p.expectOp(")")
            try p.expectEnd()
            let savedDepth = loopDepth
            loopDepth = 0
            let (body, end) = try closing(["endmacro"], for: "macro", at: pos)
            let q = ExprParser(end.tokens, end: end.pos); try q.expectEnd()
            loopDepth = savedDepth
            macroNames.insert(name)
            return [.macro(MacroDef(name: name, params: params, body: body, pos: pos))]
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
