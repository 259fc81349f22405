// The Hugging Face model config (LlamaConfig / Qwen2Config values) that transformers derives from
// a llama-family GGUF file's `<arch>.*` metadata, as a small struct and as config.json-style JSON
// so that one mapper can read both a GGUF file and a Hugging Face directory.

/// Model hyper-parameters from GGUF metadata, named as in Hugging Face's LlamaConfig.
package struct GGUFModelConfig: Sendable, Equatable {
    /// "llama" or "qwen2" (config.json `model_type`).
    package var modelType: String
    /// `<arch>.embedding_length`.
    package var hiddenSize: Int
    /// `<arch>.feed_forward_length`.
    package var intermediateSize: Int
    /// `<arch>.block_count`.
    package var numHiddenLayers: Int
    /// `<arch>.attention.head_count`.
    package var numAttentionHeads: Int
    /// `<arch>.attention.head_count_kv` (defaults to the head count).
    package var numKeyValueHeads: Int
    /// llama: `llama.rope.dimension_count` (as transformers reads it); else
    /// `<arch>.attention.key_length`; else hidden size / heads.
    package var headDim: Int
    /// `<arch>.context_length`.
    package var maxPositionEmbeddings: Int
    /// `<arch>.rope.freq_base` (default 10000).
    package var ropeTheta: Double
    /// `<arch>.attention.layer_norm_rms_epsilon` (a float32 in the file, widened exactly).
    package var rmsNormEps: Double
    /// `<arch>.vocab_size`, else the length of `tokenizer.ggml.tokens`, else token_embd's rows.
    package var vocabSize: Int
    /// True when the file has no `output.weight` (the LM head reuses the embeddings).
    package var tieWordEmbeddings: Bool
    /// Special token ids from `tokenizer.ggml.*_token_id`.
    package var bosTokenId: Int?
    package var eosTokenId: Int?
    package var padTokenId: Int?

    /// The same values under config.json's keys (`model_type`, `hidden_size`, `rope_theta`, …).
    package var json: JSONValue {
        var o: [String: JSONValue] = [
            "model_type": .string(modelType),
            "architectures": .array([.string(GGUFArchitecture(rawValue: modelType)?.huggingFaceClass ?? modelType)]),
            "hidden_size": .int(hiddenSize),
            "intermediate_size": .int(intermediateSize),
            "num_hidden_layers": .int(numHiddenLayers),
            "num_attention_heads": .int(numAttentionHeads),
            "num_key_value_heads": .int(numKeyValueHeads),
            "head_dim": .int(headDim),
            "max_position_embeddings": .int(maxPositionEmbeddings),
            "rope_theta": .double(ropeTheta),
            "rms_norm_eps": .double(rmsNormEps),
            "vocab_size": .int(vocabSize),
            "tie_word_embeddings": .bool(tieWordEmbeddings),
            "hidden_act": .string("silu"),
        ]
        if let bosTokenId { o["bos_token_id"] = .int(bosTokenId) }
        if let eosTokenId { o["eos_token_id"] = .int(eosTokenId) }
        if let padTokenId { o["pad_token_id"] = .int(padTokenId) }
        return .object(o)
    }
}

extension GGUFFile {
    /// The Hugging Face config for this llama-family file (`unsupportedArchitecture` otherwise).
    package func huggingFaceConfig() throws -> GGUFModelConfig {
        let arch = try huggingFaceArchitecture()
        let p = arch.rawValue + "."
        let hidden = try requiredInt(p + "embedding_length")
        let heads = try requiredInt(p + "attention.head_count")
        guard heads > 0, hidden % heads == 0 else {
            throw GGUFError(file: path, .badValue(key: p + "attention.head_count",
                                                  detail: "\(heads) heads do not divide the width \(hidden)"))
        }
        let kvHeads = try int(p + "attention.head_count_kv") ?? heads
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw GGUFError(file: path, .badValue(key: p + "attention.head_count_kv",
                                                  detail: "\(kvHeads) KV heads do not divide \(heads) heads"))
        }
        var vocab = try int(p + "vocab_size")
        if vocab == nil, let tokens = try array("tokenizer.ggml.tokens") { vocab = tokens.count }
        if vocab == nil, hasTensor("token_embd.weight") { vocab = try tensorInfo("token_embd.weight").shape.first }
        guard let vocabSize = vocab else { throw GGUFError(file: path, .missingKey(p + "vocab_size")) }
        let tokenizer = "tokenizer.ggml."
        return GGUFModelConfig(
            modelType: arch.rawValue,
            hiddenSize: hidden,
            intermediateSize: try requiredInt(p + "feed_forward_length"),
            numHiddenLayers: try requiredInt(p + "block_count"),
            numAttentionHeads: heads,
            numKeyValueHeads: kvHeads,
            headDim: try headDimension(arch, hidden: hidden, heads: heads),
            maxPositionEmbeddings: try requiredInt(p + "context_length"),
            ropeTheta: try double(p + "rope.freq_base") ?? 10000,
            rmsNormEps: try requiredDouble(p + "attention.layer_norm_rms_epsilon"),
            vocabSize: vocabSize,
            tieWordEmbeddings: !hasTensor("output.weight"),
            bosTokenId: try int(tokenizer + "bos_token_id"),
            eosTokenId: try int(tokenizer + "eos_token_id"),
            padTokenId: try int(tokenizer + "padding_token_id"))
    }

    private func headDimension(_ arch: GGUFArchitecture, hidden: Int, heads: Int) throws -> Int {
        let p = arch.rawValue + "."
        if arch == .llama, let d = try int(p + "rope.dimension_count") { return d }
        return try int(p + "attention.key_length") ?? hidden / heads
    }
}
