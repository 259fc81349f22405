// The policy's GPT-2 configuration (design/MODEL.md "Configuration"): presets and
// the Hugging Face config.json encoding with exactly MODEL.md's keys.

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

    public var description: String {
        switch self {
        case .unknownPreset(let n, let v): return "unknown model preset '\(n)'; valid presets: \(v.joined(separator: ", "))"
        case .invalidConfig(let d): return "invalid model configuration: \(d)"
        case .badConfigFile(let f, let d): return "config file \(f): \(d)"
        case .modelMismatch(let f, let d): return "model file \(f) does not match the configuration: \(d)"
        case .badInput(let d): return "bad model input: \(d)"
        case .checkpoint(let p, let d): return "checkpoint \(p): \(d)"
        }
    }
}

/// GPT-2 hyper-parameters. Codable as a Hugging Face GPT-2 `config.json`.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var nPositions: Int
    public var nEmbd: Int
    public var nLayer: Int
    public var nHead: Int
    public var layerNormEpsilon: Float

    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int,
                layerNormEpsilon: Float = 1e-5) {
        self.vocabSize = vocabSize; self.nPositions = nPositions; self.nEmbd = nEmbd
        self.nLayer = nLayer; self.nHead = nHead; self.layerNormEpsilon = layerNormEpsilon
    }

    /// Names accepted by `preset(_:vocabSize:)`.
    public static let presetNames = ["tiny", "small", "base"]

    /// The presets of MODEL.md's table.
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

    /// Throws `invalidConfig` unless every size is positive and C is divisible by H.
    public func validate() throws {
        for (n, v) in [("vocab_size", vocabSize), ("n_positions", nPositions), ("n_embd", nEmbd),
                       ("n_layer", nLayer), ("n_head", nHead)] where v <= 0 {
            throw PolicyError.invalidConfig("\(n) must be positive, got \(v)")
        }
        guard nEmbd % nHead == 0 else {
            throw PolicyError.invalidConfig("n_embd \(nEmbd) is not divisible by n_head \(nHead)")
        }
        guard layerNormEpsilon > 0 else { throw PolicyError.invalidConfig("layer_norm_epsilon must be positive") }
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", architectures
        case vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd"
        case nLayer = "n_layer", nHead = "n_head"
        case activationFunction = "activation_function", layerNormEpsilon = "layer_norm_epsilon"
        case tieWordEmbeddings = "tie_word_embeddings"
        case residPdrop = "resid_pdrop", embdPdrop = "embd_pdrop", attnPdrop = "attn_pdrop"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let t = try c.decodeIfPresent(String.self, forKey: .modelType), t != "gpt2" {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c, debugDescription: "model_type is '\(t)', expected 'gpt2'")
        }
        if let a = try c.decodeIfPresent(String.self, forKey: .activationFunction), a != "gelu_new" {
            throw DecodingError.dataCorruptedError(forKey: .activationFunction, in: c,
                                                   debugDescription: "activation_function is '\(a)', expected 'gelu_new'")
        }
        if let tie = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings), !tie {
            throw DecodingError.dataCorruptedError(forKey: .tieWordEmbeddings, in: c,
                                                   debugDescription: "tie_word_embeddings must be true")
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        nPositions = try c.decode(Int.self, forKey: .nPositions)
        nEmbd = try c.decode(Int.self, forKey: .nEmbd)
        nLayer = try c.decode(Int.self, forKey: .nLayer)
        nHead = try c.decode(Int.self, forKey: .nHead)
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(["GPT2LMHeadModel"], forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(nPositions, forKey: .nPositions)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encode("gelu_new", forKey: .activationFunction)
        // Shortest decimal of the Float (1e-05, not 9.99999974e-06).
        try c.encode(Double("\(layerNormEpsilon)") ?? 1e-5, forKey: .layerNormEpsilon)
        try c.encode(true, forKey: .tieWordEmbeddings)
        try c.encode(0.0, forKey: .residPdrop)
        try c.encode(0.0, forKey: .embdPdrop)
        try c.encode(0.0, forKey: .attnPdrop)
    }

    /// `config.json` bytes (sorted keys, pretty-printed).
    public func configJSON() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// Reads and validates a `config.json`.
    public static func read(configJSON url: URL) throws -> ModelConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PolicyError.badConfigFile(file: url.path, detail: "cannot read: \(error.localizedDescription)")
        }
        let c: ModelConfig
        do { c = try JSONDecoder().decode(ModelConfig.self, from: data) } catch {
            throw PolicyError.badConfigFile(file: url.path, detail: "\(error)")
        }
        do { try c.validate() } catch let e as PolicyError {
            throw PolicyError.badConfigFile(file: url.path, detail: e.description)
        }
        return c
    }
}
