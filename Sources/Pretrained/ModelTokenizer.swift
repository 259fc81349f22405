// ModelTokenizer: a pretrained model's tokenizer as tasks, the sampler and the checkpoint see
// it — byte-level BPE (Tokenizers) plus the model's chat template (ChatTemplates), its BOS/EOS
// conventions and the files that describe it in a Hugging Face directory.

import Foundation
import ChatTemplates
import ModelFiles
import Tasks
import Tokenizers

/// Why a model's tokenizer cannot serve a task.
package enum ModelTokenizerError: Error, Equatable, CustomStringConvertible {
    /// The tokenizer names no end-of-sequence token, so a completion could never end.
    case noEndToken
    /// `chat=true` on a model that ships no chat template.
    case noChatTemplate

    package var description: String {
        switch self {
        case .noEndToken: return "the model's tokenizer has no end-of-sequence token (eos_token); completions could never end"
        case .noChatTemplate: return "the model ships no chat template (tokenizer.chat_template); use chat=false"
        }
    }
}

/// A BPE tokenizer with its chat template and special-token conventions.
package struct ModelTokenizer: ChatTokenizer {
    package let bpe: BPETokenizer
    /// The model's chat template, if it ships one.
    package let template: ChatTemplate?
    /// Whether plain prompts start with BOS (`add_bos_token`).
    package let addBOS: Bool
    package let end: TokenID
    package let pad: TokenID

    package init(bpe: BPETokenizer, chatTemplate: String?, addBOS: Bool) throws {
        guard let eos = bpe.eos else { throw ModelTokenizerError.noEndToken }
        self.bpe = bpe
        self.template = try chatTemplate.map(ChatTemplate.init)
        self.addBOS = addBOS && bpe.bos != nil
        end = TokenID(eos)
        pad = TokenID(bpe.pad ?? eos)
    }

    package var vocabSize: Int { bpe.vocabSize }

    package var vocabulary: [String: Int] {
        var map: [String: Int] = [:]
        map.reserveCapacity(bpe.vocabSize)
        for id in 0..<bpe.vocabSize { if let s = bpe.tokenString(Int32(id)) { map[s] = id } }
        return map
    }

    package func encode(_ text: String) throws -> [TokenID] { bpe.encode(text).map(TokenID.init) }

    package func decode(_ ids: [TokenID]) -> String { bpe.decode(ids.map { Int32(clamping: $0) }) }

    /// The BOS and EOS strings the template receives as `bos_token` / `eos_token`.
    var bosString: String { bpe.bos.flatMap { bpe.tokenString($0) } ?? "" }
    var eosString: String { bpe.tokenString(Int32(end)) ?? "" }

    /// The conversation through the chat template (assistant turn opened), as Hugging Face's
    /// `apply_chat_template(add_generation_prompt=True, tokenize=True)`: no BOS is added beyond
    /// what the template writes.
    package func encodeChat(_ turns: [ChatTurn]) throws -> [TokenID] {
        try encode(renderChat(turns))
    }

    /// The rendered chat text (for `generate --chat` and logs).
    package func renderChat(_ turns: [ChatTurn]) throws -> String {
        guard let template else { throw ModelTokenizerError.noChatTemplate }
        return try template.render(messages: turns.map { ChatMessage(role: $0.role, content: $0.content) },
                                   addGenerationPrompt: true, bosToken: bosString, eosToken: eosString)
    }

    package func encodePrompt(_ text: String) throws -> [TokenID] {
        (addBOS ? [TokenID(bpe.bos!)] : []) + (try encode(text))
    }
}

extension ModelTokenizer {
    /// The tokenizer stored in a GGUF file's metadata (tokens, merges, token types, special ids,
    /// pre-tokenizer, chat template, `add_bos_token`).
    package init(gguf file: GGUFFile) throws {
        let meta = try file.tokenizerMetadata()
        guard !meta.tokens.isEmpty else { throw PretrainedError.noTokenizer(path: file.path) }
        guard meta.model == nil || meta.model == "gpt2" else {
            throw PretrainedError.unsupportedTokenizer(path: file.path, kind: meta.model ?? "?")
        }
        let types = (meta.tokenTypes ?? Array(repeating: 1, count: meta.tokens.count)).map { Int32(clamping: $0) }
        let bpe = try BPETokenizer(ggufTokens: meta.tokens, merges: meta.merges, tokenTypes: types,
                                   bos: meta.bosTokenId.map { Int32(clamping: $0) }, eos: meta.eosTokenId.map { Int32(clamping: $0) },
                                   pad: meta.paddingTokenId.map { Int32(clamping: $0) }, pre: meta.pre ?? "gpt2")
        try self.init(bpe: bpe, chatTemplate: meta.chatTemplate, addBOS: meta.addBosToken ?? false)
    }

    /// The tokenizer of what `PretrainedModel.load` accepts — a GGUF file, a Hugging Face directory
    /// or a checkpoint made from one — without loading the weights.
    package static func load(_ url: URL) throws -> ModelTokenizer {
        if url.pathExtension.lowercased() == "gguf" { return try ModelTokenizer(gguf: GGUFFile(contentsOf: url)) }
        for dir in [url, url.appendingPathComponent("checkpoint")] {
            if let t = try load(directory: dir) { return t }
        }
        throw PretrainedError.noTokenizer(path: url.path)
    }

    /// `load(url)` for a pretrained model or a checkpoint made from one; nil for a character-task
    /// checkpoint (no tokenizer files).
    package static func loadIfPretrained(_ url: URL) throws -> ModelTokenizer? {
        do { return try load(url) } catch PretrainedError.noTokenizer { return nil }
    }

    /// The tokenizer of a Hugging Face directory or a checkpoint made from a pretrained model
    /// (tokenizer.json with tokenizer_config.json), or nil when the directory has no tokenizer.json.
    package static func load(directory: URL) throws -> ModelTokenizer? {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path) else { return nil }
        let dir = try HFModelDirectory(url: directory)
        guard let json = dir.tokenizerJSON else { return nil }
        let bpe = try BPETokenizer(tokenizerJSON: json, bos: dir.bosToken, eos: dir.eosToken, pad: dir.padToken)
        return try ModelTokenizer(bpe: bpe, chatTemplate: dir.chatTemplate,
                                  addBOS: dir.tokenizerConfig?["add_bos_token"]?.bool ?? false)
    }

    /// The Hugging Face tokenizer files a checkpoint carries beside its weights, so the directory
    /// loads with `AutoTokenizer.from_pretrained` and `generate` / `--init` read it back:
    /// tokenizer.json, tokenizer_config.json (with the chat template and `add_bos_token`) and
    /// generation_config.json (bos/eos/pad ids).
    package func checkpointFiles() throws -> [String: Data] {
        var config = try JSONSerialization.jsonObject(with: bpe.tokenizerConfigJSON(chatTemplate: template?.source)) as? [String: Any] ?? [:]
        config["add_bos_token"] = addBOS
        var generation: [String: Any] = ["eos_token_id": end, "pad_token_id": pad]
        if let bos = bpe.bos { generation["bos_token_id"] = Int(bos) }
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return ["tokenizer.json": try bpe.tokenizerJSON(),
                "tokenizer_config.json": try JSONSerialization.data(withJSONObject: config, options: options),
                "generation_config.json": try JSONSerialization.data(withJSONObject: generation, options: options)]
    }
}
