// The syntax tree a parsed template becomes: statements (`Node`) and expressions (`Expr`),
// each with the source position used in render errors.

/// An expression with its position.
struct Expr: Sendable {
    indirect enum Kind: Sendable {
        case constant(JinjaValue)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(Expr, Expr)])
        case attribute(Expr, String)
        case item(Expr, Expr)
        case slice(Expr, Expr?, Expr?, Expr?)
        /// A call of a global function (`raise_exception(...)`, `namespace(...)`, ...).
        case call(Builtin, [Expr], [(String, Expr)])
        /// A call of a macro defined in the template.
        case callMacro(String, [Expr], [(String, Expr)])
        /// A method call `object.name(...)` (`.strip()`, `.items()`, `.get(k)`, ...).
        case method(Expr, String, [Expr], [(String, Expr)])
        case filter(Expr, String, [Expr], [(String, Expr)])
        case test(Expr, String, [Expr], negated: Bool)
        case not(Expr)
        case negate(Expr)
        case plus(Expr)
        /// `+ - * / // % ** ~`.
        case binary(String, Expr, Expr)
        /// A comparison chain `a < b <= c` (ops: == != < <= > >= in notin).
        case compare(Expr, [(String, Expr)])
        case and(Expr, Expr)
        case or(Expr, Expr)
        /// `then if cond else otherwise` (no else: Undefined).
        case conditional(then: Expr, cond: Expr, otherwise: Expr?)
    }
    var kind: Kind
    var pos: SourcePosition
}

/// `{% macro name(param, param=default) %}…{% endmacro %}`.
struct MacroDef: Sendable {
    var name: String
    var params: [(String, Expr?)]
    var body: [Node]
    var pos: SourcePosition
}

/// What `{% set %}` assigns to.
enum SetTarget: Sendable {
    case names([String])
    /// `namespace.attribute`.
    case attribute(String, String)
}

/// A statement or piece of output.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    /// `if`/`elif` branches in order, then the optional `else` body.
    case ifBlock([(Expr, [Node])], [Node]?)
    case forLoop(targets: [String], iterable: Expr, filter: Expr?, body: [Node], elseBody: [Node], pos: SourcePosition)
    case set(SetTarget, Expr, SourcePosition)
    /// `{% set name %}…{% endset %}`.
    case setBlock(String, [Node])
    case macro(MacroDef)
    case loopBreak(SourcePosition)
    case loopContinue(SourcePosition)
}
