// Fixtures: loads the committed fixtures made by Fixtures/make_fixtures.py (SmolLM2's
// tokenizer.json and the Hugging Face expectations) and builds the tokenizers under test once.

import Foundation
import XCTest
@testable import Tokenizers

struct Expectations: Decodable {
    struct DecodeCase: Decodable {
        let ids: [Int32]
        let text: String
        let skip_special: String
    }
    struct GGUFSummary: Decodable {
        let token_count: Int
        let merge_count: Int
        let tokens_fnv1a: String
        let merges_fnv1a: String
        let non_normal_types: [String: Int32]
        let bos: Int32?
        let eos: Int32?
        let pad: Int32?
        let pre: String
    }
    let corpus: [String]
    let encodings: [String: [[Int32]]]
    let decodings: [String: [String]]
    /// What each pre-tokenizer alone cuts each text into (`pre_tokenize_str`, bytes mapped back).
    let pieces: [String: [[String]]]
    let decode_cases: [DecodeCase]
    /// Decodes with the extra added tokens of the "smollm_added" variant.
    let added_decode_cases: [DecodeCase]
    let gguf: GGUFSummary
}

enum Fixture {
    static func url(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil), "fixture \(name) missing")
    }

    static let tokenizerJSON: Result<Data, any Error> = Result { try Data(contentsOf: url("smollm2_tokenizer.json")) }

    static let expectations: Result<Expectations, any Error> = Result {
        try JSONDecoder().decode(Expectations.self, from: Data(contentsOf: url("expectations.json")))
    }

    /// The real pre_tokenizer JSON block of each kind, as the script used it.
    static func preTokenizerBlocks() throws -> [String: Any] {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url("expectations.json"))) as? [String: Any]
        return try XCTUnwrap(root?["pre_tokenizers"] as? [String: Any])
    }

    /// SmolLM2's tokenizer.json with the pre_tokenizer block of `kind` swapped in.
    static func tokenizerJSON(kind: String) throws -> Data {
        let data = try tokenizerJSON.get()
        guard kind != "smollm" else { return data }
        var root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        root["pre_tokenizer"] = try XCTUnwrap(try preTokenizerBlocks()[kind])
        return try JSONSerialization.data(withJSONObject: root)
    }

    /// SmolLM2 plus the script's EXTRA_ADDED tokens (ids 49152...; lstrip/rstrip, non-special, normalized).
    static func smollmWithExtraAddedTokens() throws -> BPETokenizer {
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: url("expectations.json"))) as? [String: Any]
        let extra = try XCTUnwrap(fixture?["extra_added_tokens"] as? [Any])
        var root = try XCTUnwrap(try JSONSerialization.jsonObject(with: tokenizerJSON.get()) as? [String: Any])
        root["added_tokens"] = try XCTUnwrap(root["added_tokens"] as? [Any]) + extra
        return try BPETokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: root))
    }

    static let smollm: Result<BPETokenizer, any Error> = Result {
        try BPETokenizer(tokenizerJSON: tokenizerJSON.get(), bos: "<|im_start|>", eos: "<|im_end|>", pad: "<|im_end|>")
    }

    static let kinds = ["smollm", "gpt2", "llama3", "qwen2"]

    /// FNV-1a 64 over each string's UTF-8 bytes followed by "\n" (as the script computes it).
    static func fnv1a(_ strings: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for s in strings {
            for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0x0A) &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

}
