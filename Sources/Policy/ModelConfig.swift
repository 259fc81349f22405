// The policy's configuration (design/MODEL.md "Configuration"): the model family (GPT-2 or
// Llama), its sizes, the GPT-2 presets and validation. The Hugging Face config.json encoding
// and decoding is in ModelConfig+HF.swift.

import Foundation

/// Errors about model configuration and loading.
public enum PolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A preset name that does not exist.
    case unknownPreset(String, valid: [String])
    /// A configuration that cannot describe a GPT-2 (e.g. width not divisible by heads).
    case invalidConfig(String)
    /// A config.json that is missing keys or has wrong values.
    case badConfigFile(file: String, detail: String)
    /// A checkpoint or model file that does not match the configuration.
    case modelMismatch(file: String, detail: String)
    /// Bad arguments to forward/backward/sampling (wrong lengths, token out of range...).
    case badInput(String)
    /// Checkpoint I/O failure.
    case checkpoint(path: String, detail: String)
    /// A config.json key whose value this implementation does not support (e.g. `rope_scaling`).
    case unsupportedConfig(key: String, value: String, detail: String)

    public var description: String {
        switch self {
        case .unknownPreset(let n, let v): return "unknown model preset '\(n)'; valid presets: \(v.joined(separator: ", "))"
        case .invalidConfig(let d): return "invalid model configuration: \(d)"
        case .badConfigFile(let f, let d): return "config file \(f): \(d)"
        case .modelMismatch(let f, let d): return "model file \(f) does not match the configuration: \(d)"
        case .badInput(let d): return "bad model input: \(d)"
        case .checkpoint(let p, let d): return "checkpoint \(p): \(d)"
        case .unsupportedConfig(let k, let v, let d): return "unsupported config.json key '\(k)' = \(v): \(d)"
        }
    }
}

/// The architecture family of the policy network.
public enum ModelFamily: String, Codable, Sendable, CaseIterable {
    /// GPT-2: learned positions, LayerNorm with bias, fused c_attn, gelu_new MLP, Conv1D [in, out] weights.
    case gpt2
    /// Llama (SmolLM/SmolLM2, Llama 2/3, Qwen2 with q/k/v bias, Mistral without sliding window):
    /// RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP, Linear [out, in] weights.
    case llama
}

/// The policy network's hyper-parameters. Codable as a Hugging Face `config.json`
/// (ModelConfig+HF.swift). The GPT-2 names double as the family-neutral ones:
/// `nEmbd` = hidden_size, `nLayer` = num_hidden_layers, `nHead` = num_attention_heads,
/// `nPositions` = max_position_embeddings, `layerNormEpsilon` = rms_norm_eps for Llama.
public struct ModelConfig: Sendable, Equatable {
    public var family: ModelFamily
    public var vocabSize: Int
    public var nPositions: Int
    public var nEmbd: Int
    public var nLayer: Int
    public var nHead: Int
    /// LayerNorm ε (GPT-2) or RMSNorm ε (Llama).
    public var layerNormEpsilon: Float
    /// Key/value heads (grouped-query attention); equals `nHead` for GPT-2.
    public var nKVHead: Int
    /// MLP width (GPT-2: n_inner, default 4·C; Llama: intermediate_size).
    public var intermediateSize: Int
    /// RoPE base θ (Llama only).
    public var ropeTheta: Float
    /// Whether the LM head reuses the token embedding; false adds `lm_head.weight` [V, C].
    public var tieWordEmbeddings: Bool
    /// q/k/v projections carry a bias (Qwen2; written back as model_type `qwen2`). Llama only.
    public var attentionBias: Bool

    /// A GPT-2 configuration (tied head, MLP width 4·C unless `intermediateSize` is given).
    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int,
                layerNormEpsilon: Float = 1e-5, intermediateSize: Int? = nil, tieWordEmbeddings: Bool = true) {
        family = .gpt2
        self.vocabSize = vocabSize; self.nPositions = nPositions; self.nEmbd = nEmbd
        self.nLayer = nLayer; self.nHead = nHead; self.layerNormEpsilon = layerNormEpsilon
        nKVHead = nHead
        self.intermediateSize = intermediateSize ?? 4 * nEmbd
        ropeTheta = 10_000
        self.tieWordEmbeddings = tieWordEmbeddings
        attentionBias = false
    }

    /// A Llama-family configuration (Hugging Face LlamaConfig names in the comments).
    public static func llama(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int,
                             kvHeads: Int, maxPositions: Int, ropeTheta: Float = 10_000, rmsNormEps: Float = 1e-5,
                             tieWordEmbeddings: Bool = false, attentionBias: Bool = false) -> ModelConfig {
        var c = ModelConfig(vocabSize: vocabSize, nPositions: maxPositions, nEmbd: hiddenSize, nLayer: layers,
                            nHead: heads, layerNormEpsilon: rmsNormEps, intermediateSize: intermediateSize,
                            tieWordEmbeddings: tieWordEmbeddings)
        c.family = .llama
        c.nKVHead = kvHeads
        c.ropeTheta = ropeTheta
        c.attentionBias = attentionBias
        return c
    }

    /// Names accepted by `preset(_:vocabSize:)`.
    public static let presetNames = ["tiny", "small", "base"]

    /// The GPT-2 presets of MODEL.md's table.
    public static func preset(_ name: String, vocabSize: Int) throws -> ModelConfig {
        let c: ModelConfig
        switch name {
        case "tiny": c = ModelConfig(vocabSize: vocabSize, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4)
        case "small": c = ModelConfig(vocabSize: vocabSize, nPositions: 64, nEmbd: 128, nLayer: 4, nHead: 4)
        case "base": c = ModelConfig(vocabSize: vocabSize, nPositions: 128, nEmbd: 256, nLayer: 6, nHead: 8)
        default: throw PolicyError.unknownPreset(name, valid: presetNames)
        }
        try c.validate()
        return c
    }

    /// Head size C/H.
    public var headSize: Int { nEmbd / nHead }
    /// Width of the key (and value) projection: n_kv_heads · head size.
    public var kvDim: Int { nKVHead * headSize }

    /// Throws `invalidConfig` unless every size is positive, C is divisible by H, H by the KV
    /// heads, and (Llama) the head size is even for the rotary embedding.
    public func validate() throws {
        for (n, v) in [("vocab_size", vocabSize), ("n_positions", nPositions), ("n_embd", nEmbd),
                       ("n_layer", nLayer), ("n_head", nHead), ("num_key_value_heads", nKVHead),
                       ("intermediate_size", intermediateSize)] where v <= 0 {
            throw PolicyError.invalidConfig("\(n) must be positive, got \(v)")
        }
        guard nEmbd % nHead == 0 else {
            throw PolicyError.invalidConfig("n_embd \(nEmbd) is not divisible by n_head \(nHead)")
        }
        guard layerNormEpsilon > 0 else { throw PolicyError.invalidConfig("layer_norm_epsilon must be positive") }
        switch family {
        case .gpt2:
            guard nKVHead == nHead, !attentionBias else {
                throw PolicyError.invalidConfig("GPT-2 has no grouped-query attention or separate q/k/v biases")
            }
        case .llama:
            guard nHead % nKVHead == 0 else {
                throw PolicyError.invalidConfig("num_attention_heads \(nHead) is not divisible by num_key_value_heads \(nKVHead)")
            }
            guard headSize % 2 == 0 else { throw PolicyError.invalidConfig("head size \(headSize) must be even for RoPE") }
            guard ropeTheta > 0, ropeTheta.isFinite else { throw PolicyError.invalidConfig("rope_theta must be positive") }
        }
    }

    /// `config.json` bytes (sorted keys, pretty-printed).
    public func configJSON() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// Reads and validates a Hugging Face `config.json` (model_type gpt2, llama, qwen2 or mistral).
    /// Unsupported settings throw `unsupportedConfig` naming the key; other problems `badConfigFile`.
    public static func read(configJSON url: URL) throws -> ModelConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PolicyError.badConfigFile(file: url.path, detail: "cannot read: \(error.localizedDescription)")
        }
        do { return try ModelConfig(huggingFaceConfig: data) } catch let e as PolicyError {
            switch e {
            case .unsupportedConfig: throw e
            case .badConfigFile(_, let d): throw PolicyError.badConfigFile(file: url.path, detail: d)
            default: throw PolicyError.badConfigFile(file: url.path, detail: e.description)
            }
        }
    }

    /// Decodes and validates `config.json` bytes.
    public init(huggingFaceConfig data: Data) throws {
        let c: ModelConfig
        do { c = try JSONDecoder().decode(ModelConfig.self, from: data) } catch let e as PolicyError { throw e } catch {
            throw PolicyError.badConfigFile(file: "config.json", detail: "\(error)")
        }
        try c.validate()
        self = c
    }
}
