// ModelConfig as a Hugging Face config.json: decoding model_type gpt2, llama, qwen2 and mistral
// (settings whose maths this implementation does not have are `unsupportedConfig` errors naming
// the key), and encoding back to a config that transformers loads as GPT2LMHeadModel,
// LlamaForCausalLM or Qwen2ForCausalLM (float32).

import Foundation

/// Any JSON key.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Keyed reads with the family's names.
private struct Reader {
    let c: KeyedDecodingContainer<Key>
    func has(_ k: String) -> Bool { c.contains(Key(k)) && !((try? c.decodeNil(forKey: Key(k))) ?? true) }
    func int(_ k: String) throws -> Int? { has(k) ? try c.decode(Int.self, forKey: Key(k)) : nil }
    func need(_ k: String) throws -> Int {
        guard let v = try int(k) else { throw PolicyError.badConfigFile(file: "config.json", detail: "missing key '\(k)'") }
        return v
    }
    func float(_ k: String) throws -> Float? { has(k) ? Float(try c.decode(Double.self, forKey: Key(k))) : nil }
    func double(_ k: String) throws -> Double? { has(k) ? try c.decode(Double.self, forKey: Key(k)) : nil }
    func string(_ k: String) throws -> String? { has(k) ? try c.decode(String.self, forKey: Key(k)) : nil }
    func bool(_ k: String) throws -> Bool? { has(k) ? try c.decode(Bool.self, forKey: Key(k)) : nil }
    /// A JSON object's string and number fields (for rope_scaling / rope_parameters).
    func object(_ k: String) throws -> [String: String]? {
        guard has(k) else { return nil }
        let o = try c.nestedContainer(keyedBy: Key.self, forKey: Key(k))
        var out: [String: String] = [:]
        for key in o.allKeys {
            if let s = try? o.decode(String.self, forKey: key) { out[key.stringValue] = s }
            else if let d = try? o.decode(Double.self, forKey: key) { out[key.stringValue] = "\(d)" }
            else { out[key.stringValue] = "…" }
        }
        return out
    }
    func unsupported(_ k: String, _ v: String, _ d: String) -> PolicyError { .unsupportedConfig(key: k, value: v, detail: d) }
}

extension ModelConfig: Codable {
    public init(from decoder: Decoder) throws {
        let r = Reader(c: try decoder.container(keyedBy: Key.self))
        let type = try r.string("model_type") ?? "gpt2"
        switch type {
        case "gpt2": try self.init(gpt2: r)
        case "llama", "qwen2", "mistral": try self.init(llama: r, type: type)
        default:
            throw r.unsupported("model_type", "\"\(type)\"", "supported model types are gpt2, llama, qwen2 and mistral")
        }
    }

    private init(gpt2 r: Reader) throws {
        if let a = try r.string("activation_function"), a != "gelu_new", a != "gelu_pytorch_tanh" {
            throw r.unsupported("activation_function", "\"\(a)\"", "only gelu_new (the tanh approximation) is supported")
        }
        if let s = try r.bool("scale_attn_weights"), !s {
            throw r.unsupported("scale_attn_weights", "false", "attention is always scaled by 1/√head_size")
        }
        if let s = try r.bool("scale_attn_by_inverse_layer_idx"), s {
            throw r.unsupported("scale_attn_by_inverse_layer_idx", "true", "not implemented")
        }
        if let s = try r.bool("add_cross_attention"), s {
            throw r.unsupported("add_cross_attention", "true", "decoder-only models only")
        }
        let C = try r.need("n_embd")
        self.init(vocabSize: try r.need("vocab_size"), nPositions: try r.int("n_positions") ?? r.need("n_ctx"),
                  nEmbd: C, nLayer: try r.need("n_layer"), nHead: try r.need("n_head"),
                  layerNormEpsilon: try r.float("layer_norm_epsilon") ?? 1e-5,
                  intermediateSize: try r.int("n_inner") ?? 4 * C,
                  tieWordEmbeddings: try r.bool("tie_word_embeddings") ?? true)
    }

    private init(llama r: Reader, type: String) throws {
        let act = try r.string("hidden_act") ?? "silu"
        guard act == "silu" else { throw r.unsupported("hidden_act", "\"\(act)\"", "only silu (SwiGLU) is supported") }
        var theta = try r.double("rope_theta") ?? 10_000
        for key in ["rope_scaling", "rope_parameters"] {
            guard let o = try r.object(key) else { continue }
            let kind = o["rope_type"] ?? o["type"] ?? "default"
            guard kind == "default" else {
                throw r.unsupported(key, "{\(o.keys.sorted().map { "\($0): \(o[$0]!)" }.joined(separator: ", "))}",
                                    "only the default rotary embedding is supported (no scaling)")
            }
            if let t = o["rope_theta"].flatMap(Double.init) { theta = t }
        }
        if let b = try r.bool("mlp_bias"), b { throw r.unsupported("mlp_bias", "true", "the MLP has no biases") }
        let bias = type == "qwen2"
        if type == "llama", let b = try r.bool("attention_bias"), b {
            throw r.unsupported("attention_bias", "true", "Llama's attention_bias also biases o_proj, which is not supported")
        }
        if type == "qwen2", let b = try r.bool("use_sliding_window"), b {
            throw r.unsupported("use_sliding_window", "true", "sliding-window attention is not supported")
        }
        if type == "mistral", let w = try r.int("sliding_window") {
            throw r.unsupported("sliding_window", "\(w)", "sliding-window attention is not supported")
        }
        if r.has("layer_types"), let kinds = try? r.c.decode([String].self, forKey: Key("layer_types")),
           let bad = kinds.first(where: { $0 != "full_attention" }) {
            throw r.unsupported("layer_types", "[… \"\(bad)\" …]", "only full attention is supported")
        }
        if let tp = try r.int("pretraining_tp"), tp != 1 { throw r.unsupported("pretraining_tp", "\(tp)", "must be 1") }
        let C = try r.need("hidden_size"), H = try r.need("num_attention_heads")
        if let hd = try r.int("head_dim"), H > 0, hd * H != C {
            throw r.unsupported("head_dim", "\(hd)", "head_dim must equal hidden_size / num_attention_heads = \(C / max(H, 1))")
        }
        self = .llama(vocabSize: try r.need("vocab_size"), hiddenSize: C, intermediateSize: try r.need("intermediate_size"),
                      layers: try r.need("num_hidden_layers"), heads: H, kvHeads: try r.int("num_key_value_heads") ?? H,
                      maxPositions: try r.need("max_position_embeddings"), ropeTheta: Float(theta),
                      rmsNormEps: try r.float("rms_norm_eps") ?? 1e-6,
                      tieWordEmbeddings: try r.bool("tie_word_embeddings") ?? false, attentionBias: bias)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        func put<T: Encodable>(_ k: String, _ v: T) throws { try c.encode(v, forKey: Key(k)) }
        // Shortest decimal of a Float (1e-05, not 9.99999974e-06).
        func shortest(_ f: Float) -> Double { Double("\(f)") ?? Double(f) }
        try put("vocab_size", vocabSize)
        try put("tie_word_embeddings", tieWordEmbeddings)
        try put("torch_dtype", "float32")
        switch family {
        case .gpt2:
            try put("model_type", "gpt2")
            try put("architectures", ["GPT2LMHeadModel"])
            try put("n_positions", nPositions)
            try put("n_embd", nEmbd)
            try put("n_layer", nLayer)
            try put("n_head", nHead)
            if intermediateSize != 4 * nEmbd { try put("n_inner", intermediateSize) }
            try put("activation_function", "gelu_new")
            try put("layer_norm_epsilon", shortest(layerNormEpsilon))
            for k in ["resid_pdrop", "embd_pdrop", "attn_pdrop"] { try put(k, 0.0) }
        case .llama:
            try put("model_type", attentionBias ? "qwen2" : "llama")
            try put("architectures", [attentionBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM"])
            try put("hidden_size", nEmbd)
            try put("intermediate_size", intermediateSize)
            try put("num_hidden_layers", nLayer)
            try put("num_attention_heads", nHead)
            try put("num_key_value_heads", nKVHead)
            try put("max_position_embeddings", nPositions)
            try put("rms_norm_eps", shortest(layerNormEpsilon))
            try put("rope_theta", shortest(ropeTheta))
            try c.encodeNil(forKey: Key("rope_scaling"))
            try put("hidden_act", "silu")
            try put("attention_dropout", 0.0)
            try put("initializer_range", 0.02)
            if attentionBias {
                try put("use_sliding_window", false)
                try put("max_window_layers", nLayer)
            } else {
                try put("attention_bias", false)
                try put("mlp_bias", false)
                try put("pretraining_tp", 1)
            }
        }
    }
}
