// TokenizerFileError: why a tokenizer could not be built from a tokenizer.json or from GGUF
// vocabulary arrays, or why ids could not be decoded strictly. Each case says what and where.

/// Why a tokenizer file or vocabulary could not be used.
package enum TokenizerFileError: Error, Equatable, CustomStringConvertible {
    /// The data is not JSON, or a field has the wrong shape; `path` is the JSON path (e.g. `model.vocab`).
    case malformedJSON(path: String, reason: String)
    /// `model.type` is not `BPE`.
    case unsupportedModel(String)
    /// A pre-tokenizer (or GGUF `tokenizer.ggml.pre` name) this module does not implement.
    case unsupportedPreTokenizer(String)
    /// A normalizer, decoder or model option this module does not implement.
    case unsupportedOption(String)
    /// A merge (`index` in the merge list) names a token that is not in the vocabulary,
    /// or its concatenation is not in the vocabulary.
    case unknownMergeToken(merge: String, index: Int, token: String)
    /// A merge entry is not two tokens (`"a b"` or `["a", "b"]`).
    case malformedMerge(String, index: Int)
    /// The vocabulary lacks the byte-level symbol of a printable ASCII byte (it is not a byte-level vocabulary).
    case missingByteToken(byte: UInt8, symbol: String)
    /// Two tokens share an id, or one token string has two ids.
    case duplicateToken(String, id: Int)
    /// Ids are not exactly `0..<count` (a gap at `missing`).
    case idGap(missing: Int, count: Int)
    /// Parallel arrays of different lengths (e.g. GGUF tokens vs token types).
    case sizeMismatch(what: String, expected: Int, got: Int)
    /// A special-token id (bos/eos/pad or an added token) outside the vocabulary.
    case specialIDOutOfRange(name: String, id: Int, vocabSize: Int)
    /// `decodeStrict` met an id outside the vocabulary at position `index`.
    case idOutOfRange(id: Int32, index: Int, vocabSize: Int)

    package var description: String {
        switch self {
        case let .malformedJSON(path, reason): return "tokenizer.json: \(path): \(reason)"
        case let .unsupportedModel(t): return "tokenizer.json: model type \(t.debugDescription) is not supported (only BPE)"
        case let .unsupportedPreTokenizer(p): return "pre-tokenizer \(p) is not supported (gpt2, smollm, llama3, qwen2 are)"
        case let .unsupportedOption(o): return "tokenizer option not supported: \(o)"
        case let .unknownMergeToken(m, i, t): return "merge #\(i) \(m.debugDescription): token \(t.debugDescription) is not in the vocabulary"
        case let .malformedMerge(m, i): return "merge #\(i) \(m.debugDescription) is not two tokens separated by one space"
        case let .missingByteToken(b, s): return "vocabulary has no token for byte 0x\(String(b, radix: 16)) (byte-level symbol \(s.debugDescription))"
        case let .duplicateToken(t, id): return "vocabulary: token \(t.debugDescription) (id \(id)) appears twice or shares its id"
        case let .idGap(missing, n): return "vocabulary: ids must be 0..<\(n) without gaps; id \(missing) is missing"
        case let .sizeMismatch(what, e, g): return "\(what): expected \(e) entries, got \(g)"
        case let .specialIDOutOfRange(name, id, n): return "\(name) id \(id) is outside the vocabulary (0..<\(n))"
        case let .idOutOfRange(id, i, n): return "decode: id \(id) at position \(i) is outside the vocabulary (0..<\(n))"
        }
    }
}
