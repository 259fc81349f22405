// AddedTokens: the tokens matched literally in text before pre-tokenization (special tokens
// such as <|im_end|> and user-defined ones), leftmost-longest as Hugging Face does, with the
// lstrip/rstrip options that swallow neighbouring whitespace.

/// One added token, as in tokenizer.json's `added_tokens`.
package struct AddedToken: Sendable, Equatable, Codable {
    /// Its id (may be beyond the BPE model's vocabulary).
    package var id: Int32
    /// The text matched literally in input and produced by decode.
    package var content: String
    /// Special tokens (control tokens) are skipped by `skip_special_tokens` decoding.
    package var special: Bool
    /// Swallow whitespace to the left of a match.
    package var lstrip: Bool
    /// Swallow whitespace to the right of a match.
    package var rstrip: Bool
    /// Matched after the normalizer (true) or on the raw text (false).
    package var normalized: Bool

    /// An added token; the flags mean what they do in tokenizer.json.
    package init(id: Int32, content: String, special: Bool, lstrip: Bool = false, rstrip: Bool = false, normalized: Bool = false) {
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
            if token.lstrip {
                while s > floor, let (v, len) = Self.scalar(endingAt: s, in: bytes, from: floor), Self.isSpace(v) { s -= len }
            }
            if token.rstrip {
                while e < end, let (v, len) = Self.scalar(at: e, in: bytes, to: end), Self.isSpace(v) { e += len }
            }
            out.append(Match(start: s, end: e, id: token.id))
            i = e
            floor = e
        }
        return out
    }

    /// Unicode whitespace (what lstrip/rstrip swallow, as Rust's `char::is_whitespace`).
    private static func isSpace(_ v: UInt32) -> Bool {
        Unicode.Scalar(v)?.properties.isWhitespace ?? false
    }

    /// The scalar starting at byte `i` and its length in bytes (nil if not valid UTF-8 up to `end`).
    private static func scalar(at i: Int, in b: UnsafeBufferPointer<UInt8>, to end: Int) -> (UInt32, Int)? {
        let b0 = UInt32(b[i])
        let len = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2
        guard i + len <= end else { return nil }
        var v = len == 1 ? b0 : b0 & (0x7F >> len)
        for k in 1..<len { v = v << 6 | (UInt32(b[i + k]) & 0x3F) }
        return (v, len)
    }

    /// The scalar ending just before byte `i` (not starting before `floor`) and its length.
    private static func scalar(endingAt i: Int, in b: UnsafeBufferPointer<UInt8>, from floor: Int) -> (UInt32, Int)? {
        var s = i - 1
        while s > floor, b[s] & 0xC0 == 0x80 { s -= 1 }
        guard let (v, len) = scalar(at: s, in: b, to: i), s + len == i else { return nil }
        return (v, len)
    }
}
