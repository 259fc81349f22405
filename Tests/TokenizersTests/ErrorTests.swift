// ErrorTests: bad tokenizer files and vocabularies give typed errors that name the problem.

import Foundation
import XCTest
@testable import Tokenizers

final class ErrorTests: XCTestCase {
    private func json(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> Data { try Self.tinyJSON(edit) }

    /// A tiny valid byte-level tokenizer.json (bytes, "ab" = 256, special "<|end|>" = 257),
    /// with `edit` applied to its top-level object.
    static func tinyJSON(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> Data {
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(ByteLevel.byteToScalar[b])] = b }
        vocab["ab"] = 256
        vocab["<|end|>"] = 257
        var root: [String: Any] = [
            "added_tokens": [["id": 257, "content": "<|end|>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "decoder": ["type": "ByteLevel"],
            "model": ["type": "BPE", "vocab": vocab, "merges": ["a b"]],
        ]
        edit(&root)
        return try JSONSerialization.data(withJSONObject: root)
    }

    private func model(_ root: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var m = root["model"] as? [String: Any] ?? [:]
        edit(&m)
        root["model"] = m
    }

    private func assertError(_ data: Data, _ check: (TokenizerFileError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: data), file: file, line: line) { e in
            guard let e = e as? TokenizerFileError else { return XCTFail("not a TokenizerFileError: \(e)", file: file, line: line) }
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
            XCTAssertFalse(e.description.isEmpty)
        }
    }

    func testTinyTokenizerWorks() throws {
        let t = try BPETokenizer(tokenizerJSON: json(), eos: "<|end|>")
        XCTAssertEqual(t.encode("ab<|end|>"), [256, 257])
        XCTAssertEqual(t.eos, 257)
        XCTAssertEqual(t.decode([256, 257]), "ab<|end|>")
    }

    func testMalformedJSON() {
        assertError(Data("{not json".utf8)) { if case .malformedJSON(path: "$", _) = $0 { return true }; return false }
        assertError(Data("[1, 2]".utf8)) { if case .malformedJSON(path: "$", _) = $0 { return true }; return false }
        assertError(try! json { $0["model"] = nil }) { if case .malformedJSON(path: "model", _) = $0 { return true }; return false }
        assertError(try! json { model(&$0) { $0["vocab"] = [1, 2] } }) { if case .malformedJSON(path: "model.vocab", _) = $0 { return true }; return false }
        assertError(try! json { model(&$0) { $0["merges"] = nil } }) { if case .malformedJSON(path: "model.merges", _) = $0 { return true }; return false }
        assertError(try! json { $0["added_tokens"] = [["content": "x"]] }) { if case .malformedJSON(path: "added_tokens[0]", _) = $0 { return true }; return false }
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: json(), bos: "<nope>")) { e in
            XCTAssertEqual(e as? TokenizerFileError, .malformedJSON(path: "bos", reason: "token \"<nope>\" is not in the vocabulary"))
        }
    }

    func testUnsupportedModelAndPreTokenizerAreNamed() {
        assertError(try! json { model(&$0) { $0["type"] = "WordPiece" } }) { $0 == .unsupportedModel("WordPiece") }
        assertError(try! json { $0["pre_tokenizer"] = ["type": "Whitespace"] }) { e in
            if case let .unsupportedPreTokenizer(s) = e { return s.contains("Whitespace") }
            return false
        }
        assertError(try! json { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": "\\s+"], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]] }) { e in
            if case let .unsupportedPreTokenizer(s) = e { return s.contains("Split") }
            return false
        }
        assertError(try! json { $0["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true] }) { e in
            if case .unsupportedPreTokenizer = e { return true }
            return false
        }
        assertError(try! json { $0["normalizer"] = ["type": "Lowercase"] }) { e in
            if case let .unsupportedOption(s) = e { return s.contains("Lowercase") }
            return false
        }
        assertError(try! json { $0["decoder"] = ["type": "Metaspace"] }) { e in
            if case let .unsupportedOption(s) = e { return s.contains("Metaspace") }
            return false
        }
        assertError(try! json { model(&$0) { $0["byte_fallback"] = true } }) { $0 == .unsupportedOption("model.byte_fallback = true") }
        XCTAssertThrowsError(try BPETokenizer(ggufTokens: ["a"], merges: [], tokenTypes: [1], bos: nil, eos: nil, pad: nil, pre: "deepseek-llm")) { e in
            XCTAssertEqual(e as? TokenizerFileError, .unsupportedPreTokenizer("tokenizer.ggml.pre = \"deepseek-llm\""))
        }
    }

    func testMergeNamingUnknownToken() {
        assertError(try! json { model(&$0) { $0["merges"] = ["a b", "a zz"] } }) {
            $0 == .unknownMergeToken(merge: "a zz", index: 1, token: "zz")
        }
        assertError(try! json { model(&$0) { $0["merges"] = ["b c"] } }) {
            $0 == .unknownMergeToken(merge: "b c", index: 0, token: "bc")  // the merged token is missing
        }
        assertError(try! json { model(&$0) { $0["merges"] = ["a b c"] } }) { $0 == .malformedMerge("a b c", index: 0) }
    }

    func testVocabularyProblems() throws {
        assertError(try! json { model(&$0) { m in
            var v = m["vocab"] as? [String: Int] ?? [:]
            v["ab"] = 999
            m["vocab"] = v
        } }) { if case .malformedJSON(path: "model.vocab[\"ab\"]", _) = $0 { return true }; return false }
        assertError(try! json { model(&$0) { m in
            var v = m["vocab"] as? [String: Int] ?? [:]
            v["A"] = nil
            v["zz"] = 65  // the id byte 0x41 ("A") had
            m["vocab"] = v
        } }) { if case .missingByteToken(byte: 0x41, _) = $0 { return true }; return false }
        assertError(try! json { $0["added_tokens"] = [["id": 300, "content": "<x>", "special": true]] }) {
            $0 == .idGap(missing: 258, count: 301)
        }
        assertError(try! json { $0["added_tokens"] = [["id": 256, "content": "<x>", "special": true]] }) {
            $0 == .duplicateToken("<x>", id: 256)
        }
        let tokens = (0..<256).map { String(ByteLevel.byteToScalar[$0]) }
        XCTAssertThrowsError(try BPETokenizer(ggufTokens: tokens, merges: [], tokenTypes: [1, 1], bos: nil, eos: nil, pad: nil, pre: "gpt2")) { e in
            XCTAssertEqual(e as? TokenizerFileError, .sizeMismatch(what: "tokenizer.ggml.token_type (one per token)", expected: 256, got: 2))
        }
        XCTAssertThrowsError(try BPETokenizer(ggufTokens: tokens, merges: [], tokenTypes: Array(repeating: 1, count: 256),
                                              bos: nil, eos: 256, pad: nil, pre: "gpt2")) { e in
            XCTAssertEqual(e as? TokenizerFileError, .specialIDOutOfRange(name: "eos", id: 256, vocabSize: 256))
        }
        XCTAssertThrowsError(try BPETokenizer(ggufTokens: tokens + ["A"], merges: [], tokenTypes: Array(repeating: 1, count: 257),
                                              bos: nil, eos: nil, pad: nil, pre: "gpt2")) { e in
            XCTAssertEqual(e as? TokenizerFileError, .duplicateToken("A", id: 256))
        }
    }
}
