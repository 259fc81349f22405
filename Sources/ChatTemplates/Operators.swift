// Python's binary operators and comparisons as Jinja2 evaluates them: + - * / // % ** on ints
// (overflow is an error, not a wrap) and floats, string and list concatenation and repetition,
// markupsafe's escaping `+` for Markup, `~` concatenation, == != < <= > >= and in / not in.

import Foundation

extension Evaluator {
    func binary(_ op: String, _ l: Value, _ r: Value, _ pos: SourcePosition) throws -> Value {
        if op == "~" { return .string(l.str + r.str) }
        switch (op, l, r) {
        case ("+", .markup(let a), .markup(let b)): return .markup(a + b)
        case ("+", .markup(let a), .string(let b)): return .markup(a + htmlEscape(b))
        case ("+", .string(let a), .markup(let b)): return .markup(htmlEscape(a) + b)
        case ("*", .markup(let a), _) where r.integer != nil:
            return .markup(String(repeating: a, count: max(0, r.integer ?? 0)))
        case (_, .markup, _), (_, _, .markup): return try binary(op, l.plain, r.plain, pos)
        default: break
        }
        let bad = { () -> ChatTemplateError in
            if l.isUndefined { return self.typeError("", l, pos) }
            if r.isUndefined { return self.typeError("", r, pos) }
            return .render("unsupported operand types for \(op): '\(l.typeName)' and '\(r.typeName)'", pos)
        }
        switch (op, l, r) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .array(let a), .array(let b)): return .array(a + b)
        case ("+", .tuple(let a), .tuple(let b)): return .tuple(a + b)
        case ("*", .string(let s), _) where r.integer != nil, ("*", _, .string(let s)) where l.integer != nil:
            return .string(String(repeating: s, count: max(0, r.integer ?? l.integer ?? 0)))
        case ("*", .array(let a), _) where r.integer != nil, ("*", _, .array(let a)) where l.integer != nil:
            return .array(Array(repeating: a, count: max(0, r.integer ?? l.integer ?? 0)).flatMap { $0 })
        case ("*", .tuple(let a), _) where r.integer != nil, ("*", _, .tuple(let a)) where l.integer != nil:
            return .tuple(Array(repeating: a, count: max(0, r.integer ?? l.integer ?? 0)).flatMap { $0 })
        case ("%", .string, _):
            throw ChatTemplateError.unsupported(construct: "'%' string formatting", pos)
        default: break
        }
        if let a = l.integer, let b = r.integer {
            switch op {
            case "+", "-", "*":
                let (v, o) = op == "+" ? a.addingReportingOverflow(b) : op == "-" ? a.subtractingReportingOverflow(b) : a.multipliedReportingOverflow(by: b)
                guard !o else { throw ChatTemplateError.render("integer overflow in \(op)", pos) }
                return .int(v)
            case "/":
                guard b != 0 else { throw ChatTemplateError.render("division by zero", pos) }
                return .double(Double(a) / Double(b))
            case "//", "%":
                guard b != 0 else { throw ChatTemplateError.render("integer division or modulo by zero", pos) }
                var q = a / b, m = a % b
                if m != 0 && ((m < 0) != (b < 0)) { q -= 1; m += b }
                return .int(op == "//" ? q : m)
            case "**":
                if b < 0 {
                    guard a != 0 else { throw ChatTemplateError.render("0.0 cannot be raised to a negative power", pos) }
                    return .double(pow(Double(a), Double(b)))
                }
                var result = 1
                for _ in 0..<b {
                    let (v, o) = result.multipliedReportingOverflow(by: a)
                    guard !o else { throw ChatTemplateError.render("integer overflow in **", pos) }
                    result = v
                }
                return .int(result)
            default: break
            }
        }
        if let a = l.numeric, let b = r.numeric {
            switch op {
            case "+": return .double(a + b)
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/":
                guard b != 0 else { throw ChatTemplateError.render("float division by zero", pos) }
                return .double(a / b)
            case "//", "%":
                guard b != 0 else { throw ChatTemplateError.render("float modulo by zero", pos) }
                var m = fmod(a, b)
                if m != 0 && ((m < 0) != (b < 0)) { m += b }
                return .double(op == "//" ? ((a - m) / b).rounded() : m)
            case "**":
                if a == 0 && b < 0 { throw ChatTemplateError.render("0.0 cannot be raised to a negative power", pos) }
                if a < 0 && b != b.rounded() { throw ChatTemplateError.unsupported(construct: "complex number result of **", pos) }
                return .double(pow(a, b))
            default: break
            }
        }
        throw bad()
    }

    func compare(_ op: String, _ l: Value, _ r: Value, _ pos: SourcePosition) throws -> Bool {
        switch op {
        case "==": return l.equals(r)
        case "!=": return !l.equals(r)
        case "in", "notin":
            let found: Bool
            switch (l, r) {
            case (.string(let a), .string(let b)): found = scalarFind(a, in: b, from: 0) != nil
            case (_, .string): throw typeError("'in <string>' requires string as left operand, not \(l.typeName)", l, pos)
            case (_, .array(let xs)), (_, .tuple(let xs)), (_, .generator(let xs)): found = xs.contains { $0.equals(l) }
            case (_, .failedGenerator(let e)): throw e
            case (.string(let k), .object(let o)): found = o[k] != nil
            case (.array, .object), (.object, .object), (.generator, .object), (.namespace, .object):
                throw ChatTemplateError.render("unhashable type: '\(l.typeName)'", pos)
            case (_, .object): found = false
            case (_, .undefined): found = false
            default: throw ChatTemplateError.render("argument of type '\(r.typeName)' is not iterable", pos)
            }
            return op == "in" ? found : !found
        default:
            let order: Int
            if let a = l.numeric, let b = r.numeric {
                order = a < b ? -1 : (a > b ? 1 : 0)
            } else if let o = try sequenceOrder(l, r, pos) {
                order = o
            } else if case .string(let a) = l, case .string(let b) = r {
                order = a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1
                    : (a.unicodeScalars.elementsEqual(b.unicodeScalars) ? 0 : 1)
            } else {
                if l.isUndefined { throw typeError("", l, pos) }
                if r.isUndefined { throw typeError("", r, pos) }
                throw ChatTemplateError.render("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'", pos)
            }
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// Python's ordering of two lists (or two tuples): the first unequal elements decide, else length.
    func sequenceOrder(_ l: Value, _ r: Value, _ pos: SourcePosition) throws -> Int? {
        let x: [Value], y: [Value]
        switch (l, r) {
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)): (x, y) = (a, b)
        default: return nil
        }
        for (p, q) in zip(x, y) where !p.equals(q) { return try compare("<", p, q, pos) ? -1 : 1 }
        return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
    }
}
