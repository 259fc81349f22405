// TokenizerJSONWriter: writes a Hugging Face tokenizer.json (and a minimal tokenizer_config.json)
// for a BPETokenizer, so a checkpoint directory loads with `tokenizers.Tokenizer.from_file`
// and `transformers.AutoTokenizer.from_pretrained`. Vocabulary in id order, deterministic output.

import Foundation

extension BPETokenizer {
    /// The tokenizer as a tokenizer.json: BPE model, added tokens, the normalizer and
    /// pre-tokenizer blocks of this tokenizer's kind, ByteLevel post-processor and decoder.
    package func tokenizerJSON() throws -> Data {
        var o = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (k, a) in addedTokens.enumerated() {
            o += k == 0 ? "\n    " : ",\n    "
            o += "{\"id\": \(a.id), \"content\": \(Self.quote(a.content)), \"single_word\": false, \"lstrip\": \(a.lstrip), "
            o += "\"rstrip\": \(a.rstrip), \"normalized\": \(a.normalized), \"special\": \(a.special)}"
        }
        o += addedTokens.isEmpty ? "],\n" : "\n  ],\n"
        o += "  \"normalizer\": \(normalizer == .nfc ? "{\"type\": \"NFC\"}" : "null"),\n"
        o += "  \"pre_tokenizer\": \(Self.preTokenizerBlock(preTokenizer)),\n"
        o += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n"
        o += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        o += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        o += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
        o += "    \"byte_fallback\": false,\n    \"ignore_merges\": \(ignoreMerges),\n    \"vocab\": {"
        for id in 0..<modelVocabCount {
            o += id == 0 ? "\n      " : ",\n      "
            o += "\(Self.quote(tokens[id])): \(id)"
        }
        o += "\n    },\n    \"merges\": ["
        // "a b" strings (readable by every tokenizers version) unless a token holds a space.
        let pairsNeeded = merges.contains { tokens[Int($0.0)].contains(" ") || tokens[Int($0.1)].contains(" ") }
        for (k, m) in merges.enumerated() {
            o += k == 0 ? "\n      " : ",\n      "
            let a = tokens[Int(m.0)], b = tokens[Int(m.1)]
            o += pairsNeeded ? "[\(Self.quote(a)), \(Self.quote(b))]" : Self.quote(a + " " + b)
        }
        o += "\n    ]\n  }\n}\n"
        return Data(o.utf8)
    }

    /// A tokenizer_config.json naming the fast tokenizer class, the bos/eos/pad tokens and
    /// optionally a chat template; with tokenizer.json it is what `AutoTokenizer` needs.
    package func tokenizerConfigJSON(chatTemplate: String? = nil) throws -> Data {
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast",
            "clean_up_tokenization_spaces": false,
            "model_max_length": 1_000_000_000,
        ]
        for (key, id) in [("bos_token", bos), ("eos_token", eos), ("pad_token", pad)] {
            if let id { config[key] = tokens[Int(id)] }
        }
        if let chatTemplate { config["chat_template"] = chatTemplate }
        return try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Writes tokenizer.json and tokenizer_config.json into `directory` (which must exist).
    package func write(to directory: URL, chatTemplate: String? = nil) throws {
        try tokenizerJSON().write(to: directory.appendingPathComponent("tokenizer.json"))
        try tokenizerConfigJSON(chatTemplate: chatTemplate).write(to: directory.appendingPathComponent("tokenizer_config.json"))
    }

    static func preTokenizerBlock(_ kind: PreTokenizerKind) -> String {
        let byteLevel = { (regex: Bool) in
            "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": \(regex)}"
        }
        switch kind {
        case .gpt2: return byteLevel(true)
        case .smollm:
            return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true}, \(byteLevel(true))]}"
        case .llama3, .qwen2:
            return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \(quote(kind.pattern))}, "
                + "\"behavior\": \"Isolated\", \"invert\": false}, \(byteLevel(false))]}"
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    o += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    o.unicodeScalars.append(u)
                }
            }
        }
        return o + "\""
    }
}
