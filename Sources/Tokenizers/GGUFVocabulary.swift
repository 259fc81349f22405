// GGUFVocabulary: builds a BPETokenizer from the tokenizer arrays of GGUF metadata
// (tokenizer.ggml.tokens / merges / token_type / *_token_id / pre), as llama.cpp stores them.

extension BPETokenizer {
    /// llama.cpp's token types (`tokenizer.ggml.token_type`).
    package enum GGUFTokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Builds the tokenizer from GGUF metadata arrays.
    ///
    /// Control tokens (type 3) become special added tokens and user-defined ones (type 4)
    /// non-special added tokens; both are matched literally in text. `pre` is
    /// `tokenizer.ggml.pre` (`gpt2`, `smollm`, `llama-bpe`, `qwen2`). `normalizer` nil means the
    /// family's Hugging Face tokenizer.json: NFC for `qwen2`, none otherwise (llama.cpp applies none).
    package init(ggufTokens tokens: [String], merges: [String], tokenTypes: [Int32],
                bos: Int32?, eos: Int32?, pad: Int32?, pre: String, normalizer: TokenizerNormalizer? = nil) throws {
        guard tokenTypes.count == tokens.count else {
            throw TokenizerFileError.sizeMismatch(what: "tokenizer.ggml.token_type (one per token)", expected: tokens.count, got: tokenTypes.count)
        }
        guard let kind = PreTokenizerKind(ggufName: pre) else {
            throw TokenizerFileError.unsupportedPreTokenizer("tokenizer.ggml.pre = \(pre.debugDescription)")
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (i, m) in merges.enumerated() {
            let parts = m.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw TokenizerFileError.malformedMerge(m, index: i) }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        var added: [AddedToken] = []
        for (i, type) in tokenTypes.enumerated() {
            if type == GGUFTokenType.control.rawValue {
                added.append(AddedToken(id: Int32(i), content: tokens[i], special: true))
            } else if type == GGUFTokenType.userDefined.rawValue {
                added.append(AddedToken(id: Int32(i), content: tokens[i], special: false))
            }
        }
        try self.init(vocab: tokens, mergePairs: pairs, added: added, preTokenizer: kind,
                      normalizer: normalizer ?? (kind == .qwen2 ? .nfc : .none), bos: bos, eos: eos, pad: pad)
    }

    /// `tokenizer.ggml.token_type` for this vocabulary: control for special added tokens,
    /// user-defined for other added tokens, normal otherwise.
    package var ggufTokenTypes: [Int32] {
        var types = [Int32](repeating: GGUFTokenType.normal.rawValue, count: tokens.count)
        for a in addedTokens { types[Int(a.id)] = a.special ? GGUFTokenType.control.rawValue : GGUFTokenType.userDefined.rawValue }
        return types
    }

    /// `tokenizer.ggml.merges`: each merge as "left right".
    package var ggufMerges: [String] { merges.map { tokens[Int($0.0)] + " " + tokens[Int($0.1)] } }
}
