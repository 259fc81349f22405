// Finding numbers in model output the way math graders do: every number in the text
// ("1,000", "-3.5", "1e3", "3/4"), GSM8K's final "#### N", and LaTeX "\boxed{N}" (with
// "\frac{a}{b}" inside). Used by the `numeric` reward and to read numeric answers.

import Foundation

/// Where `numeric` looks for the completion's number.
package enum NumberSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// The last number anywhere in the completion.
    case last
    /// Any number in the completion may match (e.g. "correct number anywhere").
    case any
    /// The number after the last `####` (GSM8K's answer marker).
    case gsm8k
    /// The content of the last `\boxed{…}`.
    case boxed
    /// `\boxed{…}` if there is one, else `#### N` if there is one, else the last number.
    case auto
}

/// Number scanning and extraction.
package enum Numbers {
    /// Every number in `text`, in order. A number is an optional sign (only where a word does
    /// not end just before it), digits with optional thousands commas (`1,000,000`), an
    /// optional fraction part and exponent, and optionally `/digits` making it a fraction (`3/4`).
    package static func all(in text: String) -> [Double] { scan(Array(text.utf8)).map(\.value) }

    /// The number `text` is, ignoring surrounding spaces, a leading `$` and a trailing `%` or `.`;
    /// `\frac{a}{b}` is a/b. Nil when the text is not exactly one number.
    package static func parse(_ text: String) -> Double? {
        var s = Substring(text).drop { $0.isWhitespace }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        if let frac = latexFraction(s) { return frac }
        for prefix in ["\\$", "$"] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count) }
        for suffix in ["\\%", "%", "."] where s.hasSuffix(suffix) { s = s.dropLast(suffix.count) }
        let bytes = Array(s.utf8)
        let found = scan(bytes)
        guard found.count == 1, found[0].range == 0..<bytes.count else { return nil }
        return found[0].value
    }

    /// The number after the last `####`, if any.
    package static func gsm8k(in text: String) -> Double? {
        guard let r = text.range(of: "####", options: .backwards) else { return nil }
        return scan(Array(text[r.upperBound...].utf8)).first?.value
    }

    /// The content of the last `\boxed{…}` (braces balanced), if any.
    package static func boxedContent(in text: String) -> String? {
        guard let r = text.range(of: "\\boxed{", options: .backwards) else { return nil }
        var depth = 1
        var i = r.upperBound
        while i < text.endIndex {
            if text[i] == "{" { depth += 1 }
            if text[i] == "}" {
                depth -= 1
                if depth == 0 { return String(text[r.upperBound..<i]) }
            }
            i = text.index(after: i)
        }
        return nil
    }

    /// The number inside the last `\boxed{…}`: the whole content as a number, else its last number.
    package static func boxed(in text: String) -> Double? {
        guard let content = boxedContent(in: text) else { return nil }
        return parse(content) ?? all(in: content).last
    }

    /// The completion's candidate numbers for `source` (empty when there is none).
    package static func candidates(in text: String, source: NumberSource) -> [Double] {
        switch source {
        case .last: return all(in: text).suffix(1)
        case .any: return all(in: text)
        case .gsm8k: return gsm8k(in: text).map { [$0] } ?? []
        case .boxed: return boxed(in: text).map { [$0] } ?? []
        case .auto:
            if boxedContent(in: text) != nil { return boxed(in: text).map { [$0] } ?? [] }
            if text.contains("####") { return gsm8k(in: text).map { [$0] } ?? [] }
            return all(in: text).suffix(1)
        }
    }

    /// A reference answer as a number: a JSON number, or a string that is a number, or a
    /// string with `#### N` or `\boxed{N}` (GSM8K and MATH solutions).
    package static func answer(_ value: JSONValue) -> Double? {
        switch value {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .string(s): return parse(s) ?? gsm8k(in: s) ?? boxed(in: s)
        default: return nil
        }
    }

    /// `|a - b| <= max(absolute, relative * max(|a|, |b|))`.
    package static func close(_ a: Double, _ b: Double, relative: Double, absolute: Double) -> Bool {
        abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
    }

    // MARK: - Scanner

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isWordByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func latexFraction(_ s: Substring) -> Double? {
        for command in ["\\frac{", "\\dfrac{", "\\tfrac{"] where s.hasPrefix(command) && s.hasSuffix("}") {
            let inner = s.dropFirst(command.count).dropLast()  // "a}{b"
            let parts = inner.components(separatedBy: "}{")
            guard parts.count == 2, let a = parse(parts[0]), let b = parse(parts[1]), b != 0 else { return nil }
            return a / b
        }
        return nil
    }

    private static func scan(_ b: [UInt8]) -> [(value: Double, range: Range<Int>)] {
        var out: [(Double, Range<Int>)] = []
        var i = 0
        func digits(from j: Int) -> Int {
            var k = j
            while k < b.count, isDigit(b[k]) { k += 1 }
            return k
        }
        while i < b.count {
            let start = i
            var j = i
            if b[j] == 0x2D || b[j] == 0x2B {  // sign: not right after a word ("x-1" is x minus 1)
                guard j + 1 < b.count, isDigit(b[j + 1]), j == 0 || !isWordByte(b[j - 1]) else { i += 1; continue }
                j += 1
            }
            guard isDigit(b[j]) else { i += 1; continue }
            var end = digits(from: j)
            var text = Array(b[start..<end])
            // Thousands groups ("1,000,000"): after 1-3 leading digits, each ",ddd" not followed by a digit.
            func isGroup(_ k: Int) -> Bool {
                guard k + 3 < b.count, b[k] == 0x2C, isDigit(b[k + 1]), isDigit(b[k + 2]), isDigit(b[k + 3]) else { return false }
                return k + 4 >= b.count || !isDigit(b[k + 4])
            }
            if end - j <= 3 {
                while isGroup(end) {
                    text += b[(end + 1)..<(end + 4)]
                    end += 4
                }
            }
            if end + 1 < b.count, b[end] == 0x2E, isDigit(b[end + 1]) {
                let e = digits(from: end + 1)
                text += b[end..<e]
                end = e
            }
            if end + 1 < b.count, b[end] == 0x65 || b[end] == 0x45 {
                var k = end + 1
                if k < b.count, b[k] == 0x2D || b[k] == 0x2B { k += 1 }
                if k < b.count, isDigit(b[k]) {
                    let e = digits(from: k)
                    text += b[end..<e]
                    end = e
                }
            }
            var value = Double(String(decoding: text, as: UTF8.self)) ?? .nan
            if end + 1 < b.count, b[end] == 0x2F, isDigit(b[end + 1]), !text.contains(0x2E) {
                let e = digits(from: end + 1)
                if let den = Double(String(decoding: b[(end + 1)..<e], as: UTF8.self)), den != 0 {
                    value /= den
                    end = e
                }
            }
            if value.isFinite { out.append((value, start..<end)) }
            i = end
        }
        return out
    }
}
