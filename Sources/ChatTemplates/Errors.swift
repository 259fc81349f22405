// Errors of the chat-template engine: lexing, parsing, constructs outside the supported Jinja
// subset (reported when the template is parsed, never as a wrong prompt), `raise_exception(...)`
// calls from the template and type errors while rendering. Each carries the template position.

/// A position in the template source (1-based line and column, counted in characters).
package struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    package var line: Int
    package var column: Int
    package init(line: Int, column: Int) { self.line = line; self.column = column }
    package var description: String { "line \(line), column \(column)" }
}

/// What went wrong with a chat template, and where.
package enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The template text is not valid Jinja (bad token, unclosed tag or block, bad expression).
    case syntax(String, SourcePosition)
    /// The template uses a Jinja feature this engine does not implement (tag, filter, test,
    /// function or method); reported at parse time so a template never renders a wrong prompt.
    case unsupported(construct: String, SourcePosition)
    /// The template called `raise_exception(message)` (e.g. "Conversation roles must alternate").
    case raised(String, SourcePosition)
    /// A value had the wrong type or was undefined where Jinja2 would raise while rendering.
    case render(String, SourcePosition)

    package var description: String {
        switch self {
        case .syntax(let m, let p): return "chat template syntax error at \(p): \(m)"
        case .unsupported(let c, let p): return "chat template uses unsupported \(c) at \(p)"
        case .raised(let m, let p): return "chat template raised an exception at \(p): \(m)"
        case .render(let m, let p): return "chat template render error at \(p): \(m)"
        }
    }

    /// The position the error refers to.
    package var position: SourcePosition {
        switch self {
        case .syntax(_, let p), .unsupported(_, let p), .raised(_, let p), .render(_, let p): return p
        }
    }
}
