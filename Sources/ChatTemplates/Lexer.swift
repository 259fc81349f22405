// Lexer: splits a template into text, `{{ … }}` output tags and `{% … %}` statement tags
// (comments dropped), applying Jinja2's whitespace control exactly as Hugging Face configures it:
// `{%-`/`-%}`/`{{-`/`-}}`/`{#-`/`-#}` strip, `+` disables, trim_blocks (one newline after a block
// or comment tag is removed), lstrip_blocks (spaces before a block or comment tag on its own line
// are removed), newlines normalized to "\n" and one trailing newline dropped
// (keep_trailing_newline=False). Inside tags it produces names, literals and operators.

/// A token inside a tag.
struct Token: Equatable {
    enum Kind: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case op(String)
    }
    var kind: Kind
    var pos: SourcePosition
}

/// A piece of the template.
enum Segment {
    case text(String)
    /// `{{ … }}`: tokens, position of the `{{`, position of the end (for errors).
    case output([Token], SourcePosition, SourcePosition)
    /// `{% … %}`.
    case statement([Token], SourcePosition, SourcePosition)
}

struct Lexer {
    private let src: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]

    init(_ source: String) {
        var s = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if s.hasSuffix("\n") { s.removeLast() }
        src = Array(s.unicodeScalars)
        for (i, c) in src.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    func position(_ i: Int) -> SourcePosition {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return SourcePosition(line: lo + 1, column: i - lineStarts[lo] + 1)
    }

    private func at(_ i: Int, _ s: String) -> Bool {
        var j = i
        for c in s.unicodeScalars {
            guard j < src.count, src[j] == c else { return false }
            j += 1
        }
        return true
    }

    private static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" || c.properties.isWhitespace
    }

    func tokenize() throws -> [Segment] {
        var segments: [Segment] = []
        var i = 0
        while i < src.count {
            // Find the next tag start.
            var j = i
            var kind: Character = " "
            while j + 1 < src.count {
                if src[j] == "{" && (src[j + 1] == "{" || src[j + 1] == "%" || src[j + 1] == "#") {
                    kind = Character(src[j + 1]); break
                }
                j += 1
            }
            if kind == " " { j = src.count }
            var text = Array(src[i..<j])
            let sign: Unicode.Scalar? = (kind != " " && j + 2 < src.count && (src[j + 2] == "-" || src[j + 2] == "+")) ? src[j + 2] : nil
            if kind != " " {
                if sign == "-" {
                    while let last = text.last, Self.isSpace(last) { text.removeLast() }
                } else if sign != "+" && kind != "{" {
                    // lstrip_blocks: only whitespace between the line start and the tag.
                    let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                    let lineStarting = i == 0 || src[i - 1] == "\n"
                    if (lineStart > 0 || lineStarting) && lineStart < text.count
                        && text[lineStart...].allSatisfy(Self.isSpace) {
                        text.removeSubrange(lineStart...)
                    }
                }
            }
            if !text.isEmpty {
                var s = ""; s.unicodeScalars.append(contentsOf: text)
                segments.append(.text(s))
            }
            if kind == " " { break }
            let start = position(j)
            var k = j + 2 + (sign == nil ? 0 : 1)
            if kind == "#" {
                // Comment: ends at the first "+#}", "-#}" or "#}".
                var closed = false
                while k < src.count {
                    if at(k, "+#}") { k += 3; closed = true; break }
                    if at(k, "-#}") { k += 3; while k < src.count, Self.isSpace(src[k]) { k += 1 }; closed = true; break }
                    if at(k, "#}") { k += 2; if k < src.count, src[k] == "\n" { k += 1 }; closed = true; break }
                    k += 1
                }
                guard closed else { throw ChatTemplateError.syntax("unclosed comment (missing '#}')", start) }
                i = k
                continue
            }
            let (tokens, end, next) = try tagTokens(from: k, block: kind == "%", start: start)
            segments.append(kind == "%" ? .statement(tokens, start, end) : .output(tokens, start, end))
            i = next
        }
        return segments
    }

    /// Tokens of one tag from `i` up to its end delimiter; returns the index after the tag
    /// (and after what the end delimiter's whitespace control consumes).
    private func tagTokens(from start: Int, block: Bool, start tagPos: SourcePosition) throws -> ([Token], SourcePosition, Int) {
        var tokens: [Token] = []
        var depth = 0
        var i = start
        let close = block ? "%}" : "}}"
        while i < src.count {
            let c = src[i]
            if Self.isSpace(c) { i += 1; continue }
            if depth == 0 {
                if at(i, "-" + close) {
                    var k = i + 3
                    while k < src.count, Self.isSpace(src[k]) { k += 1 }
                    return (tokens, position(i), k)
                }
                if block && at(i, "+" + close) { return (tokens, position(i), i + 3) }
                if at(i, close) {
                    var k = i + 2
                    if block, k < src.count, src[k] == "\n" { k += 1 }
                    return (tokens, position(i), k)
                }
            }
            let pos = position(i)
            if c == "_" || c.properties.isAlphabetic {
                var k = i
                while k < src.count, src[k] == "_" || src[k].properties.isAlphabetic || ("0"..."9").contains(src[k]) { k += 1 }
                var s = ""; s.unicodeScalars.append(contentsOf: src[i..<k])
                tokens.append(Token(kind: .name(s), pos: pos)); i = k; continue
            }
            if ("0"..."9").contains(c) {
                let (tok, k) = try number(at: i, pos: pos)
                tokens.append(tok); i = k; continue
            }
            if c == "'" || c == "\"" {
                let (s, k) = try string(at: i, pos: pos)
                tokens.append(Token(kind: .string(s), pos: pos)); i = k; continue
            }
            let ops = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
                       "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"]
            guard let op = ops.first(where: { at(i, $0) }) else {
                throw ChatTemplateError.syntax("unexpected character '\(c)'", pos)
            }
            if op == "(" || op == "[" || op == "{" { depth += 1 }
            if op == ")" || op == "]" || op == "}" {
                guard depth > 0 else { throw ChatTemplateError.syntax("unexpected '\(op)'", pos) }
                depth -= 1
            }
            tokens.append(Token(kind: .op(op), pos: pos))
            i += op.unicodeScalars.count
        }
        throw ChatTemplateError.syntax("unclosed tag (missing '\(close)')", tagPos)
    }

    private func digits(from i: Int) -> Int {
        var k = i
        while k < src.count, ("0"..."9").contains(src[k]) || (src[k] == "_" && k + 1 < src.count && ("0"..."9").contains(src[k + 1])) { k += 1 }
        return k
    }

    private func number(at i: Int, pos: SourcePosition) throws -> (Token, Int) {
        var k = digits(from: i)
        var isFloat = false
        if k + 1 < src.count, src[k] == ".", ("0"..."9").contains(src[k + 1]) {
            isFloat = true; k = digits(from: k + 1)
        }
        if k < src.count, src[k] == "e" || src[k] == "E" {
            var e = k + 1
            if e < src.count, src[e] == "+" || src[e] == "-" { e += 1 }
            if e < src.count, ("0"..."9").contains(src[e]) { isFloat = true; k = digits(from: e) }
        }
        var s = ""; s.unicodeScalars.append(contentsOf: src[i..<k])
        s = s.replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard let d = Double(s) else { throw ChatTemplateError.syntax("bad number '\(s)'", pos) }
            return (Token(kind: .double(d), pos: pos), k)
        }
        guard let n = Int(s) else { throw ChatTemplateError.syntax("integer '\(s)' is too large", pos) }
        return (Token(kind: .int(n), pos: pos), k)
    }

    /// A quoted string with Python's escapes (unknown escapes keep their backslash).
    private func string(at i: Int, pos: SourcePosition) throws -> (String, Int) {
        let quote = src[i]
        var out = String.UnicodeScalarView()
        var k = i + 1
        func hex(_ n: Int) -> Unicode.Scalar? {
            guard k + n < src.count else { return nil }
            var s = ""; s.unicodeScalars.append(contentsOf: src[(k + 1)...(k + n)])
            guard let v = UInt32(s, radix: 16) else { return nil }
            return Unicode.Scalar(v)
        }
        while k < src.count {
            let c = src[k]
            if c == quote { var s = ""; s.unicodeScalars = out; return (s, k + 1) }
            if c == "\\", k + 1 < src.count {
                let e = src[k + 1]
                switch e {
                case "\\", "'", "\"": out.append(e); k += 2
                case "n": out.append("\n"); k += 2
                case "t": out.append("\t"); k += 2
                case "r": out.append("\r"); k += 2
                case "a": out.append("\u{07}"); k += 2
                case "b": out.append("\u{08}"); k += 2
                case "f": out.append("\u{0C}"); k += 2
                case "v": out.append("\u{0B}"); k += 2
                case "\n": k += 2
                case "x", "u", "U":
                    let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                    k += 1
                    guard let u = hex(n) else { throw ChatTemplateError.syntax("bad \\\(e) escape in string", pos) }
                    out.append(u); k += n + 1
                case "0"..."7":
                    var v: UInt32 = 0, n = 0
                    k += 1
                    while n < 3, k < src.count, ("0"..."7").contains(src[k]) { v = v * 8 + (src[k].value - 48); k += 1; n += 1 }
                    out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default: out.append("\\"); out.append(e); k += 2
                }
                continue
            }
            out.append(c); k += 1
        }
        throw ChatTemplateError.syntax("unterminated string", pos)
    }
}
