// A Hugging Face model directory: config.json (raw JSON; the caller maps it), the weights from
// model.safetensors or a sharded model.safetensors.index.json + shards (F32, F16, BF16, all
// converted to F32), and the tokenizer files (tokenizer.json raw bytes, tokenizer_config.json,
// generation_config.json, chat_template.jinja) when present.

import Foundation
import Tensor

/// The contents of a Hugging Face model directory (weights are read on `loadTensors`).
package struct HFModelDirectory: Sendable {
    /// The directory.
    package let url: URL
    /// config.json.
    package let config: JSONValue
    /// tokenizer_config.json, if present.
    package let tokenizerConfig: JSONValue?
    /// generation_config.json, if present.
    package let generationConfig: JSONValue?
    /// tokenizer.json's bytes, if present (the Tokenizers module parses them).
    package let tokenizerJSON: Data?
    /// chat_template.jinja's text, if present.
    package let chatTemplateFile: String?
    /// For a sharded checkpoint, tensor name → shard file name (from the index); nil for one file.
    package let weightMap: [String: String]?

    static let singleFile = "model.safetensors"
    static let indexFile = "model.safetensors.index.json"

    /// Reads the directory's JSON files and checks the shard index (every shard it names exists).
    package init(url: URL) throws {
        self.url = url
        guard let configData = try Self.readIfPresent(url, "config.json") else {
            throw ModelDirectoryError(path: url.path, .missingFile("config.json"))
        }
        config = try JSONValue.parse(configData, label: url.appendingPathComponent("config.json").path)
        tokenizerConfig = try Self.readIfPresent(url, "tokenizer_config.json").map {
            try JSONValue.parse($0, label: url.appendingPathComponent("tokenizer_config.json").path)
        }
        generationConfig = try Self.readIfPresent(url, "generation_config.json").map {
            try JSONValue.parse($0, label: url.appendingPathComponent("generation_config.json").path)
        }
        tokenizerJSON = try Self.readIfPresent(url, "tokenizer.json")
        chatTemplateFile = try Self.readIfPresent(url, "chat_template.jinja").map { String(decoding: $0, as: UTF8.self) }

        let indexURL = url.appendingPathComponent(Self.indexFile)
        guard let indexData = try Self.readIfPresent(url, Self.indexFile) else { weightMap = nil; return }
        guard let map = try JSONValue.parse(indexData, label: indexURL.path)["weight_map"]?.object else {
            throw ModelDirectoryError(path: indexURL.path, .badContent("no \"weight_map\" object"))
        }
        var weightMap: [String: String] = [:]
        var checked: Set<String> = []
        for (tensor, value) in map {
            guard let shard = value.string else {
                throw ModelDirectoryError(path: indexURL.path, .badContent("weight_map['\(tensor)'] is not a string"))
            }
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains("..") else {
                throw ModelDirectoryError(path: indexURL.path, .badContent("shard name '\(shard)' leaves the directory"))
            }
            if !checked.contains(shard) {
                guard FileManager.default.fileExists(atPath: url.appendingPathComponent(shard).path) else {
                    throw ModelDirectoryError(path: indexURL.path, .missingShard(shard: shard, tensor: tensor))
                }
                checked.insert(shard)
            }
            weightMap[tensor] = shard
        }
        self.weightMap = weightMap
    }

    /// The weight files in load order (shards sorted by name, or model.safetensors).
    package var weightFiles: [String] {
        if let weightMap { return Set(weightMap.values).sorted() }
        return [Self.singleFile]
    }

    /// The chat template: chat_template.jinja if present, else tokenizer_config.json's
    /// `chat_template` (a string, or the "default" entry of a list of named templates).
    package var chatTemplate: String? {
        if let chatTemplateFile { return chatTemplateFile }
        guard let t = tokenizerConfig?["chat_template"] else { return nil }
        if let s = t.string { return s }
        let named = t.array ?? []
        let pick = named.first { $0["name"]?.string == "default" } ?? named.first
        return pick?["template"]?.string
    }

    /// tokenizer_config.json's `bos_token` (a string or an AddedToken object's `content`).
    package var bosToken: String? { Self.tokenText(tokenizerConfig?["bos_token"]) }
    /// tokenizer_config.json's `eos_token`.
    package var eosToken: String? { Self.tokenText(tokenizerConfig?["eos_token"]) }
    /// tokenizer_config.json's `pad_token`.
    package var padToken: String? { Self.tokenText(tokenizerConfig?["pad_token"]) }

    private static func tokenText(_ v: JSONValue?) -> String? { v?.string ?? v?["content"]?.string }

    /// Reads every tensor listed (all of model.safetensors, or every tensor of the shard index)
    /// as F32, converting F16 and BF16 exactly.
    package func loadTensors() throws -> HFTensorSet {
        var set = HFTensorSet()
        if weightMap == nil, !FileManager.default.fileExists(atPath: url.appendingPathComponent(Self.singleFile).path) {
            throw ModelDirectoryError(path: url.path, .missingFile("\(Self.singleFile) or \(Self.indexFile)"))
        }
        var byShard: [String: [String]] = [:]
        for (tensor, shard) in weightMap ?? [:] { byShard[shard, default: []].append(tensor) }
        for shard in weightFiles {
            let shardURL = url.appendingPathComponent(shard)
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile.read(from: shardURL) } catch let e as SafeTensorsError {
                throw ModelDirectoryError(path: shardURL.path, .safeTensors(e))
            }
            let names = byShard[shard] ?? Array(file.tensors.keys)
            for name in names.sorted() {
                guard let t = file.tensors[name] else {
                    throw ModelDirectoryError(path: url.appendingPathComponent(Self.indexFile).path,
                                              .tensorNotInShard(tensor: name, shard: shard))
                }
                guard [.F32, .F16, .BF16].contains(t.dtype) else {
                    throw ModelDirectoryError(path: shardURL.path, .notFloat(tensor: name, dtype: t.dtype.rawValue))
                }
                guard set.tensors[name] == nil else {
                    throw ModelDirectoryError(path: shardURL.path, .duplicateTensor(tensor: name, shard: shard))
                }
                let values = try t.convertedFloats(name: name, file: shardURL.path)
                set.tensors[name] = FloatTensor(shape: t.shape, values: values)
                set.sourceDTypes[t.dtype.rawValue, default: 0] += 1
            }
        }
        return set
    }

    private static func readIfPresent(_ dir: URL, _ name: String) throws -> Data? {
        let u = dir.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: u.path) else { return nil }
        do { return try Data(contentsOf: u) } catch {
            throw ModelDirectoryError(path: u.path, .unreadable(error.localizedDescription))
        }
    }
}

/// The tensors of a Hugging Face directory, all F32, and what they were stored as.
package struct HFTensorSet: Sendable {
    /// Tensors by name.
    package var tensors: [String: FloatTensor] = [:]
    /// How many tensors each stored dtype had ("F32", "F16", "BF16").
    package var sourceDTypes: [String: Int] = [:]

    package init() {}

    /// The conversions that happened, e.g. "BF16→F32: 1 tensor, F16→F32: 123 tensors"
    /// ("none" when every tensor was stored as F32).
    package var conversionSummary: String {
        let parts = sourceDTypes.keys.filter { $0 != "F32" }.sorted().map { d -> String in
            let n = sourceDTypes[d] ?? 0
            return "\(d)→F32: \(n) tensor\(n == 1 ? "" : "s")"
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
