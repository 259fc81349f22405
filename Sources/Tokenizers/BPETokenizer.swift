// BPETokenizer: byte-level BPE equal to Hugging Face `tokenizers` for GPT-2-style vocabularies
// (SmolLM2, Llama 3, Qwen2, GPT-2): added tokens first, then the pre-tokenizer split, then
// merges on each piece's bytes. Built from a tokenizer.json (TokenizerJSON.swift) or from the
// arrays of GGUF metadata (init(ggufTokens:…)).

import Foundation

/// Normalizers this module applies before pre-tokenization.
package enum TokenizerNormalizer: String, Sendable, Codable {
    case none
    /// Unicode NFC (Qwen2's tokenizer.json).
    case nfc
}

/// A byte-level BPE tokenizer.
///
/// `encode` matches added tokens literally (as Hugging Face does with `add_special_tokens=False`),
/// `decode` keeps special tokens' text and replaces invalid UTF-8 with U+FFFD. `decode` skips ids
/// outside the vocabulary, as Hugging Face's `decode` does; `decodeStrict` throws for them instead.
package struct BPETokenizer: TextTokenizer {
    /// Id → token string (byte-mapped form for regular tokens; added tokens as written).
    package let tokens: [String]
    /// Number of ids in the BPE model's own vocabulary; added tokens may extend `tokens` beyond it.
    package let modelVocabCount: Int
    /// Added tokens (special and user-defined), in id order.
    package let addedTokens: [AddedToken]
    /// Merges in rank order, as token id pairs.
    package let merges: [(Int32, Int32)]
    /// How text is cut into pieces before merging (see `with(preTokenizer:)`).
    package private(set) var preTokenizer: PreTokenizerKind
    /// Applied to text between added tokens before splitting.
    package let normalizer: TokenizerNormalizer
    /// Llama 3's `ignore_merges` model option.
    package let ignoreMerges: Bool
    /// Beginning-of-sequence id (GGUF `tokenizer.ggml.bos_token_id`, or tokenizer_config.json's `bos_token`).
    package let bos: Int32?
    /// End-of-sequence id (GGUF `tokenizer.ggml.eos_token_id`, or `eos_token`).
    package let eos: Int32?
    /// Padding id (GGUF `tokenizer.ggml.padding_token_id`, or `pad_token`).
    package let pad: Int32?

    private let ids: [String: Int32]
    private let specialIDs: Set<Int32>
    let model: BPEModel
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// Decoded bytes of every id: `decodeBytes[decodeStarts[id]..<decodeStarts[id + 1]]`.
    private let decodeBytes: [UInt8]
    private let decodeStarts: [Int]

    package var vocabSize: Int { tokens.count }

    /// Builds the tokenizer. `vocab` is the BPE vocabulary (ids `0..<vocab.count`), `mergePairs`
    /// the merges in rank order; added tokens may reuse vocabulary ids or extend them contiguously.
    init(vocab: [String], mergePairs: [(String, String)], added: [AddedToken], preTokenizer: PreTokenizerKind,
         normalizer: TokenizerNormalizer = .none, ignoreMerges: Bool = false,
         bos: Int32?, eos: Int32?, pad: Int32?) throws {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocab.count + added.count)
        for (i, t) in vocab.enumerated() {
            guard ids.updateValue(Int32(i), forKey: t) == nil else { throw TokenizerFileError.duplicateToken(t, id: i) }
        }
        let modelIDs = ids
        var tokens = vocab
        for a in added.sorted(by: { $0.id < $1.id }) {
            let i = Int(a.id)
            guard i >= 0 else { throw TokenizerFileError.specialIDOutOfRange(name: "added token \(a.content.debugDescription)", id: i, vocabSize: tokens.count) }
            if i < tokens.count {
                guard tokens[i] == a.content else { throw TokenizerFileError.duplicateToken(a.content, id: i) }
            } else if i == tokens.count {
                tokens.append(a.content)
            } else {
                throw TokenizerFileError.idGap(missing: tokens.count, count: i + 1)
            }
            if let prior = ids[a.content], prior != a.id { throw TokenizerFileError.duplicateToken(a.content, id: i) }
            ids[a.content] = a.id
        }
        for (name, id) in [("bos", bos), ("eos", eos), ("pad", pad)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw TokenizerFileError.specialIDOutOfRange(name: name, id: Int(id), vocabSize: tokens.count)
            }
        }

        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let symbol = String(ByteLevel.byteToScalar[b])
            if let id = modelIDs[symbol] {
                byteIDs[b] = id
            } else if (0x20...0x7E).contains(b) {  // rare bytes may be missing (HF drops them); ASCII may not
                throw TokenizerFileError.missingByteToken(byte: UInt8(b), symbol: symbol)
            }
        }
        var table = MergeTable(capacityFor: mergePairs.count)
        var pairs: [(Int32, Int32)] = []
        pairs.reserveCapacity(mergePairs.count)
        for (rank, (a, b)) in mergePairs.enumerated() {
            let name = a + " " + b
            guard let ia = modelIDs[a] else { throw TokenizerFileError.unknownMergeToken(merge: name, index: rank, token: a) }
            guard let ib = modelIDs[b] else { throw TokenizerFileError.unknownMergeToken(merge: name, index: rank, token: b) }
            guard let im = modelIDs[a + b] else { throw TokenizerFileError.unknownMergeToken(merge: name, index: rank, token: a + b) }
            table.insert(ia, ib, rank: Int32(rank), merged: im)
            pairs.append((ia, ib))
        }

        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        starts.reserveCapacity(tokens.count + 1)
        for t in tokens {
            bytes.append(contentsOf: ByteLevel.decode(t))
            starts.append(bytes.count)
        }

        self.tokens = tokens
        self.modelVocabCount = vocab.count
        self.addedTokens = added.sorted { $0.id < $1.id }
        self.merges = pairs
        self.preTokenizer = preTokenizer
        self.normalizer = normalizer
        self.ignoreMerges = ignoreMerges
        self.bos = bos; self.eos = eos; self.pad = pad
        self.ids = ids
        self.specialIDs = Set(added.filter(\.special).map(\.id))
        self.model = BPEModel(merges: table, byteIDs: byteIDs, vocab: ignoreMerges ? modelIDs : [:], ignoreMerges: ignoreMerges)
        self.rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        self.normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        self.decodeBytes = bytes
        self.decodeStarts = starts
    }

    /// The same vocabulary, merges and added tokens with another pre-tokenizer split.
    package func with(preTokenizer kind: PreTokenizerKind) -> BPETokenizer {
        var copy = self
        copy.preTokenizer = kind
        return copy
    }

    package func tokenString(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    package func id(of token: String) -> Int32? { ids[token] }

    /// True for added tokens marked special (e.g. `<|im_end|>`).
    package func isSpecial(_ id: Int32) -> Bool { specialIDs.contains(id) }

    // MARK: encode

    package func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        var text = text
        text.withUTF8 { encode(utf8: $0, into: &out) }
        return out
    }

    /// Appends the ids of UTF-8 `bytes` (valid UTF-8) to `out`.
    package func encode(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        forEachSegment(rawMatcher, bytes, 0, bytes.count, &out) { s, e, out in
            if normalizer == .nfc {
                var normal = String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
                    .precomposedStringWithCanonicalMapping
                normal.withUTF8 { nb in
                    forEachSegment(normalizedMatcher, nb, 0, nb.count, &out) { s2, e2, out in
                        encodePlain(UnsafeBufferPointer(rebasing: nb[s2..<e2]), &out)
                    }
                }
            } else {
                forEachSegment(normalizedMatcher, bytes, s, e, &out) { s2, e2, out in
                    encodePlain(UnsafeBufferPointer(rebasing: bytes[s2..<e2]), &out)
                }
            }
        }
    }

    /// Splits `bytes[start..<end]` on `matcher`'s tokens: matches append their id, the text
    /// between them goes to `body`.
    private func forEachSegment(_ matcher: AddedTokenMatcher, _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                                _ out: inout [Int32], _ body: (Int, Int, inout [Int32]) -> Void) {
        var i = start
        for m in matcher.matches(in: bytes, start, end) {
            if m.start > i { body(i, m.start, &out) }
            out.append(m.id)
            i = m.end
        }
        if i < end { body(i, end, &out) }
    }

    /// Pre-tokenizes and merges text that holds no added token.
    private func encodePlain(_ bytes: UnsafeBufferPointer<UInt8>, _ out: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        var starts: [Int32] = []
        let text = ScalarText(bytes, byteStarts: &starts)
        var ends: [Int32] = []
        ends.reserveCapacity(text.values.count / 3 + 1)
        text.split(preTokenizer, 0, text.values.count, into: &ends)
        var from = 0
        for e in ends {
            let b0 = Int(starts[from]), b1 = Int(starts[Int(e)])
            model.encode(piece: UnsafeBufferPointer(rebasing: bytes[b0..<b1]), into: &out)
            from = Int(e)
        }
    }

    /// The pieces the pre-tokenizer cuts `text` into (no added-token matching), for inspection.
    package func preTokenize(_ text: String) -> [String] {
        var copy = text
        return copy.withUTF8 { bytes in
            var starts: [Int32] = []
            let st = ScalarText(bytes, byteStarts: &starts)
            var ends: [Int32] = []
            st.split(preTokenizer, 0, st.values.count, into: &ends)
            var from = 0
            return ends.map { e in
                defer { from = Int(e) }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(starts[from])..<Int(starts[Int(e)])]), as: UTF8.self)
            }
        }
    }

    // MARK: decode

    /// Hugging Face's `decode(ids, skip_special_tokens=False)`; ids outside the vocabulary are skipped.
    package func decode(_ ids: [Int32]) -> String {
        String(decoding: decodeToBytes(ids, skipSpecial: false), as: UTF8.self)
    }

    /// As `decode`, optionally dropping special tokens (`skip_special_tokens=True`).
    package func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String {
        String(decoding: decodeToBytes(ids, skipSpecial: skipSpecialTokens), as: UTF8.self)
    }

    /// As `decode`, but an id outside the vocabulary throws `TokenizerFileError.idOutOfRange`.
    package func decodeStrict(_ ids: [Int32]) throws -> String {
        for (i, id) in ids.enumerated() where id < 0 || Int(id) >= tokens.count {
            throw TokenizerFileError.idOutOfRange(id: id, index: i, vocabSize: tokens.count)
        }
        return decode(ids)
    }

    /// The raw bytes of `ids` (no UTF-8 repair): what a streaming decoder accumulates.
    package func decodeToBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && Int(id) < tokens.count && !(skipSpecial && specialIDs.contains(id)) {
            out.append(contentsOf: decodeBytes[decodeStarts[Int(id)]..<decodeStarts[Int(id) + 1]])
        }
        return out
    }
}
