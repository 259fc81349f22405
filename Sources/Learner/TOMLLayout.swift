// Where things are in a TOML document that TOMLKit already accepted: the order in which each
// table's keys were written and the line of each key. toml++ (under TOMLKit) keeps tables
// sorted by key and does not expose source positions, but the order of an inline table's keys
// is part of a reward list's meaning (it reaches the task spec's canonical string), so this
// skeleton scanner walks the document once, skipping over values without interpreting them.

/// A step of a path into a TOML document: a key, or an index into an array.
enum TOMLPathStep: Hashable, Sendable {
    case key(String), index(Int)
}

/// Key order and key lines of a TOML document, by path.
struct TOMLLayout: Sendable {
    /// Table path → its keys in the order they first appear.
    private(set) var order: [[TOMLPathStep]: [String]] = [:]
    /// Value path → (line, column) of its key, both 1-based.
    private(set) var positions: [[TOMLPathStep]: (line: Int, column: Int)] = [:]

    /// Scans `text`, which must be a document TOMLKit parsed without error (on other input the
    /// result is incomplete, never a crash).
    init(scanning text: String) {
        var s = Cursor(Array(text.unicodeScalars))
        var table: [TOMLPathStep] = []
        var arrays: [[TOMLPathStep]: Int] = [:]   // arrays of tables → elements so far
        while true {
            s.skipBlank(newlines: true)
            guard let c = s.peek() else { break }
            let before = s.index
            if c == "[" {
                let isArray = s.peek(1) == "["
                s.advance(isArray ? 2 : 1)
                let keys = s.key()
                s.skipLine()
                var path: [TOMLPathStep] = []
                for (n, k) in keys.enumerated() {
                    note(k, in: path)
                    path.append(.key(k))
                    if n < keys.count - 1 || !isArray, let count = arrays[path] { path.append(.index(count - 1)) }
                }
                if isArray {
                    let count = arrays[path, default: 0]
                    arrays[path] = count + 1
                    path.append(.index(count))
                }
                table = path
            } else {
                keyValue(&s, in: table)
            }
            if s.index == before { s.advance(1) }
        }
    }

    /// The keys of the table at `path` in the order written (nil when the scan did not see it).
    func keys(of path: [TOMLPathStep]) -> [String]? { order[path] }

    private mutating func note(_ key: String, in table: [TOMLPathStep]) {
        if !(order[table]?.contains(key) ?? false) { order[table, default: []].append(key) }
    }

    private mutating func keyValue(_ s: inout Cursor, in table: [TOMLPathStep]) {
        let at = s.position
        let keys = s.key()
        var path = table
        for k in keys {
            note(k, in: path)
            path.append(.key(k))
        }
        positions[path] = at
        s.skipBlank(newlines: false)
        if s.peek() == "=" { s.advance(1) }
        s.skipBlank(newlines: false)
        value(&s, at: path)
    }

    private mutating func value(_ s: inout Cursor, at path: [TOMLPathStep]) {
        guard let c = s.peek() else { return }
        switch c {
        case "\"", "'":
            s.skipString()
        case "[":
            s.advance(1)
            var n = 0
            while true {
                s.skipBlank(newlines: true)
                guard let d = s.peek(), d != "]" else { s.advance(1); return }
                let before = s.index
                value(&s, at: path + [.index(n)])
                n += 1
                s.skipBlank(newlines: true)
                if s.peek() == "," { s.advance(1) } else if s.index == before { s.advance(1) }
            }
        case "{":
            s.advance(1)
            order[path] = order[path] ?? []
            while true {
                s.skipBlank(newlines: true)
                guard let d = s.peek(), d != "}" else { s.advance(1); return }
                let before = s.index
                keyValue(&s, in: path)
                s.skipBlank(newlines: true)
                if s.peek() == "," { s.advance(1) } else if s.index == before { s.advance(1) }
            }
        default:
            // A number, boolean, date or time: up to the next delimiter (dates may hold a space).
            while let d = s.peek(), !",]}#\n\r".unicodeScalars.contains(d) { s.advance(1) }
        }
    }
}

/// A position in the document's Unicode scalars, with its line and column.
private struct Cursor {
    let text: [Unicode.Scalar]
    private(set) var index = 0
    private var line = 1, lineStart = 0

    init(_ text: [Unicode.Scalar]) { self.text = text }

    var position: (line: Int, column: Int) { (line, index - lineStart + 1) }

    func peek(_ ahead: Int = 0) -> Unicode.Scalar? { index + ahead < text.count ? text[index + ahead] : nil }

    func starts(with s: String) -> Bool {
        for (k, u) in s.unicodeScalars.enumerated() where peek(k) != u { return false }
        return true
    }

    mutating func advance(_ n: Int) {
        for _ in 0..<n where index < text.count {
            if text[index] == "\n" { line += 1; lineStart = index + 1 }
            index += 1
        }
    }

    /// Spaces, tabs and comments; and line breaks too when `newlines`.
    mutating func skipBlank(newlines: Bool) {
        while let c = peek() {
            if c == " " || c == "\t" || (newlines && (c == "\n" || c == "\r")) { advance(1) }
            else if c == "#" { while let d = peek(), d != "\n" { advance(1) } }
            else { return }
        }
    }

    mutating func skipLine() { while let c = peek(), c != "\n" { advance(1) } }

    /// A key of one or more dotted parts, bare or quoted.
    mutating func key() -> [String] {
        var parts: [String] = []
        while true {
            skipBlank(newlines: false)
            guard let c = peek() else { return parts }
            if c == "\"" || c == "'" {
                parts.append(quoted())
            } else {
                var s = ""
                while let d = peek(), !" \t.=[]\"'#,{}\n\r".unicodeScalars.contains(d) { s.unicodeScalars.append(d); advance(1) }
                if s.isEmpty { return parts }
                parts.append(s)
            }
            skipBlank(newlines: false)
            guard peek() == "." else { return parts }
            advance(1)
        }
    }

    /// A one-line quoted key's text, escapes decoded.
    private mutating func quoted() -> String {
        guard let q = peek() else { return "" }
        advance(1)
        var s = ""
        while let c = peek(), c != "\n" {
            advance(1)
            if c == q { return s }
            if c == "\\" && q == "\"", let e = peek() {
                advance(1)
                switch e {
                case "b": s += "\u{08}"; case "t": s += "\t"; case "n": s += "\n"; case "f": s += "\u{0C}"
                case "r": s += "\r"; case "e": s += "\u{1B}"
                case "u", "U", "x":
                    let width = e == "u" ? 4 : e == "U" ? 8 : 2
                    var hex = ""
                    for _ in 0..<width { if let h = peek() { hex.unicodeScalars.append(h); advance(1) } }
                    if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
                default: s.unicodeScalars.append(e)
                }
            } else {
                s.unicodeScalars.append(c)
            }
        }
        return s
    }

    /// Any of the four string forms, one-line or multi-line.
    mutating func skipString() {
        guard let q = peek() else { return }
        let triple = String(repeating: Character(q), count: 3)
        if starts(with: triple) {
            advance(3)
            while peek() != nil {
                if q == "\"" && peek() == "\\" { advance(2); continue }
                if starts(with: triple) {
                    advance(3)
                    // Up to two more quotes belong to the content ("""a""""" ends in two quotes).
                    for _ in 0..<2 where peek() == q { advance(1) }
                    return
                }
                advance(1)
            }
            return
        }
        advance(1)
        while let c = peek(), c != "\n" {
            advance(1)
            if c == q { return }
            if c == "\\" && q == "\"" { advance(1) }
        }
    }
}
