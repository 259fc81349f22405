// PretrainedModel: a language model made elsewhere, brought in as a policy — a GGUF file or a
// Hugging Face directory (config.json + safetensors + tokenizer files) becomes a `GPT` of the
// right family with its `ModelTokenizer`, and an `ImportReport` that says what was converted.

import Foundation
import ModelFiles
import Policy
import Tensor
import Tokenizers

/// Why a model could not be brought in.
package enum PretrainedError: Error, Equatable, CustomStringConvertible {
    /// Neither a `.gguf` file nor a directory holding `config.json`.
    case notAModel(path: String)
    /// A tokenizer kind other than byte-level BPE (e.g. SentencePiece `llama`).
    case unsupportedTokenizer(path: String, kind: String)
    /// The model has no tokenizer files (`tokenizer.json` or GGUF tokenizer metadata).
    case noTokenizer(path: String)
    /// The tokenizer's vocabulary is larger than the model's embedding table.
    case vocabularyMismatch(path: String, tokenizer: Int, model: Int)

    package var description: String {
        switch self {
        case let .notAModel(p): return "\(p): not a model (expected a .gguf file or a Hugging Face directory with config.json)"
        case let .unsupportedTokenizer(p, k): return "\(p): tokenizer kind '\(k)' is not supported (only byte-level BPE, 'gpt2')"
        case let .noTokenizer(p): return "\(p): no tokenizer (tokenizer.json, or tokenizer.ggml.* metadata in a GGUF file)"
        case let .vocabularyMismatch(p, t, m):
            return "\(p): the tokenizer has \(t) tokens but the model's embedding has \(m) rows"
        }
    }
}

/// What `import` prints: where the model came from and what was converted on the way.
package struct ImportReport: Codable, Sendable, Equatable {
    package var source: String
    /// `gguf` or `huggingface`.
    package var format: String
    /// `gpt2` or `llama`, and the config's `model_type` (`llama`, `qwen2`, …).
    package var family: String
    package var modelType: String
    package var parameters: Int
    package var vocabSize: Int
    package var layers: Int
    package var hiddenSize: Int
    package var heads: Int
    package var kvHeads: Int
    package var tiedEmbeddings: Bool
    /// Stored type → F32: tensor counts, e.g. `["Q4_1": 210, "Q8_0": 1, "F32": 61]`.
    package var storedTypes: [String: Int]
    package var hasChatTemplate: Bool
}

/// A model with its tokenizer.
package struct PretrainedModel {
    package let model: GPT
    package let tokenizer: ModelTokenizer
    package let report: ImportReport
}

extension PretrainedModel {
    /// True for what `load` accepts: a `.gguf` file, or a directory with `config.json` and
    /// `tokenizer.json` (a Tributary character-task checkpoint has `vocab.json` instead).
    package static func isPretrained(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else { return false }
        if !isDir.boolValue { return url.pathExtension.lowercased() == "gguf" }
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
            && FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path)
    }

    /// Loads a GGUF file or a Hugging Face directory.
    package static func load(_ url: URL) throws -> PretrainedModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else { throw PretrainedError.notAModel(path: url.path) }
        if isDir.boolValue { return try loadDirectory(url) }
        guard url.pathExtension.lowercased() == "gguf" else { throw PretrainedError.notAModel(path: url.path) }
        return try loadGGUF(url)
    }

    static func loadGGUF(_ url: URL) throws -> PretrainedModel {
        let file = try GGUFFile(contentsOf: url)
        let config = try ModelConfig(huggingFaceConfig: JSONEncoder().encode(try file.huggingFaceConfig().json))
        let tensors = try file.huggingFaceTensors().mapValues { TensorData(floats: $0.values, shape: $0.shape) }
        let model = try GPT(config: config, tensors: tensors, label: url.path)
        let tokenizer = try ModelTokenizer(gguf: file)
        try check(tokenizer, fits: config, path: url.path)
        var types: [String: Int] = [:]
        for t in file.tensors where GGUFFile.huggingFaceName(of: t.name) != nil { types[t.type.name, default: 0] += 1 }
        return PretrainedModel(model: model, tokenizer: tokenizer,
                               report: report(url, format: "gguf", model: model, types: types, tokenizer: tokenizer))
    }

    static func loadDirectory(_ url: URL) throws -> PretrainedModel {
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
            throw PretrainedError.notAModel(path: url.path)
        }
        let dir = try HFModelDirectory(url: url)
        let config = try ModelConfig(huggingFaceConfig: Data(contentsOf: url.appendingPathComponent("config.json")))
        let set = try dir.loadTensors()
        let model = try GPT(config: config, tensors: set.tensors.mapValues { TensorData(floats: $0.values, shape: $0.shape) },
                            label: url.path)
        guard let tokenizer = try ModelTokenizer.load(directory: url) else { throw PretrainedError.noTokenizer(path: url.path) }
        try check(tokenizer, fits: config, path: url.path)
        return PretrainedModel(model: model, tokenizer: tokenizer,
                               report: report(url, format: "huggingface", model: model, types: set.sourceDTypes, tokenizer: tokenizer))
    }

    static func check(_ tokenizer: ModelTokenizer, fits config: ModelConfig, path: String) throws {
        guard tokenizer.vocabSize <= config.vocabSize else {
            throw PretrainedError.vocabularyMismatch(path: path, tokenizer: tokenizer.vocabSize, model: config.vocabSize)
        }
    }

    static func report(_ url: URL, format: String, model: GPT, types: [String: Int], tokenizer: ModelTokenizer) -> ImportReport {
        let c = model.config
        return ImportReport(source: url.path, format: format, family: c.family.rawValue,
                            modelType: c.family == .gpt2 ? "gpt2" : (c.attentionBias ? "qwen2" : "llama"),
                            parameters: model.parameterCount, vocabSize: c.vocabSize, layers: c.nLayer, hiddenSize: c.nEmbd,
                            heads: c.nHead, kvHeads: c.nKVHead, tiedEmbeddings: c.tieWordEmbeddings, storedTypes: types,
                            hasChatTemplate: tokenizer.template != nil)
    }
}

extension PretrainedModel {
    /// Writes the model as a checkpoint: a Hugging Face directory of its family (F32 weights,
    /// config.json) with the tokenizer files, which `load`, `--init` and `transformers` read.
    package func save(to dir: URL, trainerState: Data? = nil) throws {
        try Checkpoint.save(to: dir, model: model, optimizer: nil, vocab: tokenizer.vocabulary, trainerState: trainerState,
                            extraFiles: try tokenizer.checkpointFiles())
    }
}
