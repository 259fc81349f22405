// TokenizerJSON: reads a Hugging Face tokenizer.json (model BPE with byte-level pre-tokenizer
// and decoder) and the bos/eos/pad names of a tokenizer_config.json. Configurations outside
// what this module implements throw TokenizerFileError naming the part.

import Foundation

extension BPETokenizer {
    /// Reads a tokenizer.json. bos/eos/pad name tokens (e.g. from tokenizer_config.json);
    /// a name that is not in the vocabulary throws.
    package init(tokenizerJSON data: Data, bos: String? = nil, eos: String? = nil, pad: String? = nil) throws {
        let root: [String: Any]
        do {
            guard let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerFileError.malformedJSON(path: "$", reason: "top level is not an object")
            }
            root = r
        } catch let e as TokenizerFileError {
            throw e
        } catch {
            throw TokenizerFileError.malformedJSON(path: "$", reason: "not JSON (\(error.localizedDescription))")
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerFileError.malformedJSON(path: "model", reason: "missing or not an object")
        }
        let type = model["type"] as? String ?? "BPE"
        guard type == "BPE" else { throw TokenizerFileError.unsupportedModel(type) }
        guard let vocabMap = model["vocab"] as? [String: Any] else {
            throw TokenizerFileError.malformedJSON(path: "model.vocab", reason: "missing or not an object")
        }
        var vocab = [String?](repeating: nil, count: vocabMap.count)
        for (token, value) in vocabMap {
            guard let id = (value as? NSNumber)?.intValue else {
                throw TokenizerFileError.malformedJSON(path: "model.vocab[\(token.debugDescription)]", reason: "id is not a number")
            }
            guard id >= 0, id < vocab.count else {
                throw TokenizerFileError.malformedJSON(path: "model.vocab[\(token.debugDescription)]", reason: "id \(id) is outside 0..<\(vocab.count): ids must be contiguous")
            }
            guard vocab[id] == nil else { throw TokenizerFileError.duplicateToken(token, id: id) }
            vocab[id] = token
        }
        let tokens = vocab.compactMap { $0 }  // complete: count distinct ids in 0..<count

        guard let mergeList = model["merges"] as? [Any] else {
            throw TokenizerFileError.malformedJSON(path: "model.merges", reason: "missing or not an array")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (i, m) in mergeList.enumerated() {
            if let s = m as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw TokenizerFileError.malformedMerge(s, index: i) }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = m as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw TokenizerFileError.malformedMerge("\(m)", index: i)
            }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key] as? String, !v.isEmpty { throw TokenizerFileError.unsupportedOption("model.\(key) = \(v.debugDescription)") }
        }
        if model["byte_fallback"] as? Bool == true { throw TokenizerFileError.unsupportedOption("model.byte_fallback = true") }
        if let d = model["dropout"] as? NSNumber, d.doubleValue > 0 { throw TokenizerFileError.unsupportedOption("model.dropout = \(d)") }
        let ignoreMerges = model["ignore_merges"] as? Bool ?? false

        var added: [AddedToken] = []
        for (i, any) in (root["added_tokens"] as? [Any] ?? []).enumerated() {
            guard let t = any as? [String: Any], let id = (t["id"] as? NSNumber).flatMap({ Int32(exactly: $0.int64Value) }),
                  let content = t["content"] as? String else {
                throw TokenizerFileError.malformedJSON(path: "added_tokens[\(i)]", reason: "needs id and content")
            }
            if t["single_word"] as? Bool == true { throw TokenizerFileError.unsupportedOption("added_tokens[\(i)].single_word = true") }
            added.append(AddedToken(id: id, content: content, special: t["special"] as? Bool ?? false,
                                    lstrip: t["lstrip"] as? Bool ?? false, rstrip: t["rstrip"] as? Bool ?? false,
                                    normalized: t["normalized"] as? Bool ?? false))
        }

        let normalizer = try Self.normalizer(root["normalizer"])
        let pre = try Self.preTokenizer(root["pre_tokenizer"])
        try Self.checkDecoder(root["decoder"])

        var resolved: [Int32?] = []
        for (name, token) in [("bos", bos), ("eos", eos), ("pad", pad)] {
            guard let token else { resolved.append(nil); continue }
            if let a = added.first(where: { $0.content == token }) {
                resolved.append(a.id)
            } else if let i = tokens.firstIndex(of: token) {
                resolved.append(Int32(i))
            } else {
                throw TokenizerFileError.malformedJSON(path: name, reason: "token \(token.debugDescription) is not in the vocabulary")
            }
        }
        try self.init(vocab: tokens, mergePairs: merges, added: added, preTokenizer: pre, normalizer: normalizer,
                      ignoreMerges: ignoreMerges, bos: resolved[0], eos: resolved[1], pad: resolved[2])
    }

    /// Reads `tokenizer.json` and, when present, the bos/eos/pad tokens of `tokenizer_config.json`
    /// in a Hugging Face model directory.
    package init(directory: URL) throws {
        let json = try Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        var names: [String: String] = [:]
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if let data = try? Data(contentsOf: configURL) {
            guard let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerFileError.malformedJSON(path: "tokenizer_config.json", reason: "not a JSON object")
            }
            for key in ["bos_token", "eos_token", "pad_token"] {
                if let s = config[key] as? String {
                    names[key] = s
                } else if let d = config[key] as? [String: Any], let s = d["content"] as? String {
                    names[key] = s
                }
            }
        }
        try self.init(tokenizerJSON: json, bos: names["bos_token"], eos: names["eos_token"], pad: names["pad_token"])
    }

    private static func normalizer(_ any: Any?) throws -> TokenizerNormalizer {
        guard let n = any as? [String: Any] else { return .none }
        switch n["type"] as? String {
        case "NFC": return .nfc
        case "Sequence":
            let steps = n["normalizers"] as? [Any] ?? []
            if steps.isEmpty { return .none }
            if steps.count == 1 { return try normalizer(steps[0]) }
            fallthrough
        default: throw TokenizerFileError.unsupportedOption("normalizer \(describe(n))")
        }
    }

    /// Recognises the pre-tokenizer blocks of GPT-2, SmolLM2, Llama 3 and Qwen2.
    private static func preTokenizer(_ any: Any?) throws -> PreTokenizerKind {
        guard let p = any as? [String: Any] else { throw TokenizerFileError.unsupportedPreTokenizer("(none): a byte-level pre-tokenizer is required") }
        let steps: [[String: Any]]
        if p["type"] as? String == "Sequence" {
            steps = (p["pretokenizers"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        } else {
            steps = [p]
        }
        func byteLevel(_ s: [String: Any], regex: Bool) -> Bool {
            s["type"] as? String == "ByteLevel" && (s["add_prefix_space"] as? Bool ?? false) == false
                && (s["use_regex"] as? Bool ?? true) == regex
        }
        if steps.count == 1, byteLevel(steps[0], regex: true) { return .gpt2 }
        if steps.count == 2, steps[0]["type"] as? String == "Digits", steps[0]["individual_digits"] as? Bool == true,
           byteLevel(steps[1], regex: true) { return .smollm }
        if steps.count == 2, steps[0]["type"] as? String == "Split", byteLevel(steps[1], regex: false),
           let pattern = (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String,
           steps[0]["behavior"] as? String == "Isolated", (steps[0]["invert"] as? Bool ?? false) == false,
           let kind = PreTokenizerKind.allCases.first(where: { $0.pattern == pattern }) {
            return kind
        }
        throw TokenizerFileError.unsupportedPreTokenizer(describe(p))
    }

    private static func checkDecoder(_ any: Any?) throws {
        guard let d = any as? [String: Any] else { throw TokenizerFileError.unsupportedOption("decoder: none (ByteLevel required)") }
        guard d["type"] as? String == "ByteLevel" else { throw TokenizerFileError.unsupportedOption("decoder \(describe(d))") }
    }

    /// A compact one-line rendering of a JSON object for error messages.
    static func describe(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let s = String(data: data, encoding: .utf8) else { return "\(object)" }
        return s.count > 300 ? String(s.prefix(300)) + "…" : s
    }
}
