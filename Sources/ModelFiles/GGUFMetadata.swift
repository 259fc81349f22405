// Typed access to GGUF metadata (optional and required keys, with errors naming the key), and
// the tokenizer metadata (tokenizer.ggml.* and tokenizer.chat_template) as plain Swift values.

extension GGUFFile {
    /// An integer value of any width at `key`; nil when absent, `badValue` when not an integer.
    package func int(_ key: String) throws -> Int? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.int else { throw GGUFError(file: path, .badValue(key: key, detail: "expected an integer, found \(v.type)")) }
        return i
    }
    /// A float (or integer) value at `key` as Double; nil when absent.
    package func double(_ key: String) throws -> Double? {
        guard let v = metadata[key] else { return nil }
        guard let d = v.double else { throw GGUFError(file: path, .badValue(key: key, detail: "expected a number, found \(v.type)")) }
        return d
    }
    /// A string value at `key`; nil when absent.
    package func string(_ key: String) throws -> String? {
        guard let v = metadata[key] else { return nil }
        guard let s = v.string else { throw GGUFError(file: path, .badValue(key: key, detail: "expected a string, found \(v.type)")) }
        return s
    }
    /// A bool value at `key`; nil when absent.
    package func bool(_ key: String) throws -> Bool? {
        guard let v = metadata[key] else { return nil }
        guard let b = v.bool else { throw GGUFError(file: path, .badValue(key: key, detail: "expected a bool, found \(v.type)")) }
        return b
    }
    /// An array value at `key`; nil when absent.
    package func array(_ key: String) throws -> GGUFArray? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.array else { throw GGUFError(file: path, .badValue(key: key, detail: "expected an array, found \(v.type)")) }
        return a
    }
    /// A string array at `key`; nil when absent.
    package func strings(_ key: String) throws -> [String]? {
        guard let a = try array(key) else { return nil }
        guard let s = a.strings else {
            throw GGUFError(file: path, .badValue(key: key, detail: "expected an array of strings, found one of \(a.elementType)"))
        }
        return s
    }

    /// `int(key)`, or `missingKey` when absent.
    package func requiredInt(_ key: String) throws -> Int {
        guard let i = try int(key) else { throw GGUFError(file: path, .missingKey(key)) }
        return i
    }
    /// `double(key)`, or `missingKey` when absent.
    package func requiredDouble(_ key: String) throws -> Double {
        guard let d = try double(key) else { throw GGUFError(file: path, .missingKey(key)) }
        return d
    }
    /// `string(key)`, or `missingKey` when absent.
    package func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw GGUFError(file: path, .missingKey(key)) }
        return s
    }

    /// `general.architecture` (e.g. "llama", "qwen2").
    package func architecture() throws -> String { try requiredString("general.architecture") }

    /// The tokenizer described by the metadata.
    package func tokenizerMetadata() throws -> GGUFTokenizerMetadata {
        let p = "tokenizer.ggml."
        var t = GGUFTokenizerMetadata()
        t.model = try string(p + "model")
        t.pre = try string(p + "pre")
        t.tokens = try strings(p + "tokens") ?? []
        t.merges = try strings(p + "merges") ?? []
        if let a = try array(p + "token_type") {
            guard let ints = a.ints else {
                throw GGUFError(file: path, .badValue(key: p + "token_type", detail: "expected integers, found \(a.elementType)"))
            }
            t.tokenTypes = ints
        }
        if let a = try array(p + "scores") {
            guard let d = a.doubles else {
                throw GGUFError(file: path, .badValue(key: p + "scores", detail: "expected numbers, found \(a.elementType)"))
            }
            t.scores = d.map { Float($0) }
        }
        t.bosTokenId = try int(p + "bos_token_id")
        t.eosTokenId = try int(p + "eos_token_id")
        t.unknownTokenId = try int(p + "unknown_token_id")
        t.paddingTokenId = try int(p + "padding_token_id")
        t.addBosToken = try bool(p + "add_bos_token")
        t.addEosToken = try bool(p + "add_eos_token")
        t.chatTemplate = try string("tokenizer.chat_template")
        return t
    }
}

/// The tokenizer as GGUF metadata describes it (`tokenizer.ggml.*`), values as stored.
package struct GGUFTokenizerMetadata: Sendable, Equatable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE), "llama" (SentencePiece), …
    package var model: String?
    /// `tokenizer.ggml.pre`: the pre-tokenizer name ("smollm", "llama-bpe", "qwen2", …).
    package var pre: String?
    /// `tokenizer.ggml.tokens`: token strings by id.
    package var tokens: [String] = []
    /// `tokenizer.ggml.merges`: BPE merges, "left right", highest priority first.
    package var merges: [String] = []
    /// `tokenizer.ggml.token_type` by id (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    package var tokenTypes: [Int]?
    /// `tokenizer.ggml.scores` by id (SentencePiece models).
    package var scores: [Float]?
    /// `tokenizer.ggml.bos_token_id`.
    package var bosTokenId: Int?
    /// `tokenizer.ggml.eos_token_id`.
    package var eosTokenId: Int?
    /// `tokenizer.ggml.unknown_token_id`.
    package var unknownTokenId: Int?
    /// `tokenizer.ggml.padding_token_id`.
    package var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`.
    package var addBosToken: Bool?
    /// `tokenizer.ggml.add_eos_token`.
    package var addEosToken: Bool?
    /// `tokenizer.chat_template` (Jinja).
    package var chatTemplate: String?

    package init() {}
}
