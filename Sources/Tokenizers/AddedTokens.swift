// AddedTokens: the tokens matched literally in text before pre-tokenization (special tokens
// such as <|im_end|> and user-defined ones), leftmost-longest as Hugging Face does, with the
// lstrip/rstrip options that swallow neighbouring whitespace.

/// One added token, as in tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable, Codable {
    public var id: Int32
    public var content: String
    /// Special tokens (control tokens) are skipped by `skip_special_tokens` decoding.
    public var special: Bool
    /// Swallow whitespace to the left / right of a match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matched after the normalizer (true) or on the raw text (false).
    public var normalized: Bool

    public init(id: Int32, content: String, special: Bool, lstrip: Bool = false, rstrip: Bool = false, normalized: Bool = false) {
        self.id = id; self.content = content; self.special = special
        self.lstrip = lstrip; self.rstrip = rstrip; self.normalized = normalized
    }
}

/// Finds added tokens in UTF-8 bytes: leftmost match, longest among those starting there.
struct AddedTokenMatcher: Sendable {
    /// First byte → candidates (bytes, token index), longest first.
    private var byFirst: [[(bytes: [UInt8], index: Int)]] = Array(repeating: [], count: 256)
    let tokens: [AddedToken]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        for (k, t) in tokens.enumerated() {
            let b = Array(t.content.utf8)
            guard let f = b.first else { continue }
            byFirst[Int(f)].append((b, k))
        }
        for f in 0..<256 { byFirst[f].sort { $0.bytes.count > $1.bytes.count } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// A match: the byte range it covers (whitespace swallowed by lstrip/rstrip included) and its id.
    struct Match { var start: Int; var end: Int; var id: Int32 }

    /// All matches in `bytes[start..<end]`, left to right.
    func matches(in bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [Match] {
        var out: [Match] = []
        guard !tokens.isEmpty else { return out }
        var i = start
        var floor = start
        while i < end {
            let cands = byFirst[Int(bytes[i])]
            var found: (len: Int, index: Int)?
            for c in cands where c.bytes.count <= end - i {
                var ok = true
                for (k, b) in c.bytes.enumerated() where bytes[i + k] != b { ok = false; break }
                if ok { found = (c.bytes.count, c.index); break }
            }
            guard let (len, index) = found else { i += 1; continue }
            let token = tokens[index]
            var s = i, e = i + len
            if token.lstrip { while s > floor, Self.isSpace(bytes, s - 1) { s -= 1 } }
            if token.rstrip { while e < end, Self.isSpace(bytes, e) { e += 1 } }
            out.append(Match(start: s, end: e, id: token.id))
            i = e
            floor = e
        }
        return out
    }

    /// ASCII whitespace (what lstrip/rstrip swallow in practice).
    @inline(__always) private static func isSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let c = b[i]
        return c == 0x20 || (c >= 0x09 && c <= 0x0D)
    }
}
