// TokenizersTests: byte-level BPE against Hugging Face `tokenizers` on the committed corpus,
// for the SmolLM2 vocabulary with the smollm, gpt2, llama3 and qwen2 pre-tokenizers; GGUF-array
// construction; tokenizer.json writing and re-reading.

import Foundation
import ModelFiles
import XCTest
@testable import Tokenizers

final class TokenizersTests: XCTestCase {
    func testFixturesFolderIsBundled() throws {
        XCTAssertNotNil(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    }

    /// Compares `tokenizer` with the expectations of `kind` on every corpus text.
    private func assertMatchesHF(_ tokenizer: BPETokenizer, kind: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let exp = try Fixture.expectations.get()
        let encodings = try XCTUnwrap(exp.encodings[kind]), decodings = try XCTUnwrap(exp.decodings[kind])
        XCTAssertEqual(encodings.count, exp.corpus.count)
        for (i, text) in exp.corpus.enumerated() {
            let ids = tokenizer.encode(text)
            XCTAssertEqual(ids, encodings[i], "\(kind) encode \(text.debugDescription)", file: file, line: line)
            XCTAssertEqual(tokenizer.decode(encodings[i]), decodings[i], "\(kind) decode \(text.debugDescription)", file: file, line: line)
        }
    }

    func testEncodeDecodeEqualHuggingFaceForEveryPreTokenizer() throws {
        let smollm = try Fixture.smollm.get()
        XCTAssertEqual(smollm.preTokenizer, .smollm, "SmolLM2's Digits + ByteLevel block is recognised")
        for kind in PreTokenizerKind.allCases {
            try assertMatchesHF(smollm.with(preTokenizer: kind), kind: kind.rawValue)
        }
    }

    func testExtraAddedTokensEqualHuggingFace() throws {
        let t = try Fixture.smollmWithExtraAddedTokens()
        XCTAssertEqual(t.vocabSize, 49156)
        XCTAssertEqual(t.modelVocabCount, 49152)
        XCTAssertFalse(t.isSpecial(49152))
        XCTAssertTrue(t.isSpecial(49154))
        try assertMatchesHF(t, kind: "smollm_added")
        for c in try Fixture.expectations.get().added_decode_cases {
            XCTAssertEqual(t.decode(c.ids), c.text, "\(c.ids)")
            XCTAssertEqual(t.decode(c.ids, skipSpecialTokens: true), c.skip_special, "\(c.ids) skipping special")
        }
        // written and read back: added tokens beyond the model vocabulary and their flags survive
        let reread = try BPETokenizer(tokenizerJSON: t.tokenizerJSON())
        XCTAssertEqual(reread.addedTokens, t.addedTokens)
        try assertMatchesHF(reread, kind: "smollm_added")
    }

    func testIgnoreMerges() throws {
        // SmolLM2's vocabulary has no token that merges cannot reach, so Llama 3's ignore_merges is
        // checked on the tiny vocabulary plus "abc" (no merge makes it); expected ids from tokenizers 0.23.3.
        for ignore in [false, true] {
            let data = try ErrorTests.tinyJSON { root in
                var model = root["model"] as? [String: Any] ?? [:]
                var vocab = model["vocab"] as? [String: Int] ?? [:]
                vocab["abc"] = 258
                model["vocab"] = vocab
                model["ignore_merges"] = ignore
                root["model"] = model
            }
            let t = try BPETokenizer(tokenizerJSON: data)
            XCTAssertEqual(t.ignoreMerges, ignore)
            XCTAssertEqual(t.encode("abc abcd"), ignore ? [258, 32, 256, 99, 100] : [256, 99, 32, 256, 99, 100])
            XCTAssertEqual(try BPETokenizer(tokenizerJSON: t.tokenizerJSON()).encode("abc"), ignore ? [258] : [256, 99])
        }
    }

    func testQwen2WithNFCNormalizerEqualsHuggingFace() throws {
        var root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Fixture.tokenizerJSON(kind: "qwen2")) as? [String: Any])
        root["normalizer"] = ["type": "NFC"]
        let t = try BPETokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: root))
        XCTAssertEqual(t.normalizer, .nfc)
        XCTAssertEqual(t.preTokenizer, .qwen2)
        try assertMatchesHF(t, kind: "qwen2_nfc")
        let reread = try BPETokenizer(tokenizerJSON: t.tokenizerJSON())
        XCTAssertEqual(reread.normalizer, .nfc, "the writer keeps the normalizer")
    }

    func testRealPreTokenizerBlocksAreRecognised() throws {
        // the full file with the Llama 3 block swapped in, then every block on a tiny vocabulary
        XCTAssertEqual(try BPETokenizer(tokenizerJSON: Fixture.tokenizerJSON(kind: "llama3")).preTokenizer, .llama3)
        let blocks = try Fixture.preTokenizerBlocks()
        for kind in PreTokenizerKind.allCases {
            let data = try ErrorTests.tinyJSON { $0["pre_tokenizer"] = blocks[kind.rawValue] }
            XCTAssertEqual(try BPETokenizer(tokenizerJSON: data).preTokenizer, kind)
        }
    }

    func testPreTokenizerPiecesEqualHuggingFace() throws {
        let exp = try Fixture.expectations.get()
        let base = try Fixture.smollm.get()
        for kind in PreTokenizerKind.allCases {
            let t = base.with(preTokenizer: kind)
            let pieces = try XCTUnwrap(exp.pieces[kind.rawValue])
            for (i, text) in exp.corpus.enumerated() {
                XCTAssertEqual(t.preTokenize(text), pieces[i], "\(kind) pieces of \(text.debugDescription)")
            }
        }
    }

    func testPreTokenizersDisagreeSomewhere() throws {
        // guards against the expectations being the same list four times
        let exp = try Fixture.expectations.get()
        for kind in Fixture.kinds where kind != "smollm" {
            XCTAssertNotEqual(exp.encodings[kind], exp.encodings["smollm"], kind)
        }
    }

    func testDecodeCasesIncludingInvalidUTF8() throws {
        let tokenizer = try Fixture.smollm.get()
        let cases = try Fixture.expectations.get().decode_cases
        XCTAssertGreaterThan(cases.filter { $0.text.contains("\u{FFFD}") }.count, 5, "fixture has invalid UTF-8 cases")
        for c in cases {
            XCTAssertEqual(tokenizer.decode(c.ids), c.text, "\(c.ids)")
            XCTAssertEqual(tokenizer.decode(c.ids, skipSpecialTokens: true), c.skip_special, "\(c.ids) skipping special")
        }
    }

    func testSpecialTokensAndVocabularyLookups() throws {
        let t = try Fixture.smollm.get()
        XCTAssertEqual(t.vocabSize, 49152)
        XCTAssertEqual(t.bos, 1)
        XCTAssertEqual(t.eos, 2)
        XCTAssertEqual(t.pad, 2)
        XCTAssertEqual(t.id(of: "<|im_end|>"), 2)
        XCTAssertEqual(t.tokenString(2), "<|im_end|>")
        XCTAssertEqual(t.id(of: "Ġthe").flatMap { t.tokenString($0) }, "Ġthe")
        XCTAssertNil(t.tokenString(49152))
        XCTAssertNil(t.tokenString(-1))
        XCTAssertTrue(t.isSpecial(2))
        XCTAssertFalse(t.isSpecial(100))
        XCTAssertEqual(t.encode("<|im_end|>"), [2])
        // ids outside the vocabulary: skipped by decode (as HF), an error for decodeStrict
        XCTAssertEqual(t.decode([49152, -3]), "")
        XCTAssertThrowsError(try t.decodeStrict([100, 49152])) { e in
            XCTAssertEqual(e as? TokenizerFileError, .idOutOfRange(id: 49152, index: 1, vocabSize: 49152))
        }
        XCTAssertEqual(try t.decodeStrict(t.encode("hi there")), "hi there")
    }

    func testLongPiecesMergeTheSameWithBothAlgorithms() throws {
        let t = try Fixture.smollm.get()
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzéñ_".utf8) + Array("ü".utf8)
        for length in [2, 3, 10, 40, 65, 100, 300] {
            for _ in 0..<5 {
                let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng) ?? 97 }
                var a = bytes.map { t.model.byteIDs[Int($0)] }
                var b = a
                t.model.merge(&a)
                t.model.mergeLong(&b)
                XCTAssertEqual(a, b, "length \(length)")
                XCTAssertEqual(t.decodeToBytes(a), bytes, "merged symbols spell the piece")
            }
        }
    }

    func testConcurrentEncodingAgrees() throws {
        let t = try Fixture.smollm.get()
        let exp = try Fixture.expectations.get()
        let expected = try XCTUnwrap(exp.encodings["smollm"])
        let texts = exp.corpus
        let results = UnsafeSendableBox(Array(repeating: [Int32](), count: texts.count * 4))
        DispatchQueue.concurrentPerform(iterations: texts.count * 4) { i in
            results.value[i] = t.encode(texts[i % texts.count])
        }
        for i in 0..<(texts.count * 4) { XCTAssertEqual(results.value[i], expected[i % texts.count]) }
    }

    // MARK: GGUF arrays

    func testGGUFArraysBuildTheSameTokenizer() throws {
        let json = try Fixture.smollm.get()
        let g = try Fixture.expectations.get().gguf
        // The GGUF's tokens and merges are exactly tokenizer.json's (same counts and hashes).
        let tokens = Array(json.tokens[0..<json.modelVocabCount])
        XCTAssertEqual(tokens.count, g.token_count)
        XCTAssertEqual(json.ggufMerges.count, g.merge_count)
        XCTAssertEqual(Fixture.fnv1a(tokens), g.tokens_fnv1a)
        XCTAssertEqual(Fixture.fnv1a(json.ggufMerges), g.merges_fnv1a)
        var types = [Int32](repeating: 1, count: g.token_count)
        for (k, v) in g.non_normal_types { types[try XCTUnwrap(Int(k))] = v }
        XCTAssertEqual(json.ggufTokenTypes, types)
        let fromArrays = try BPETokenizer(ggufTokens: tokens, merges: json.ggufMerges, tokenTypes: types,
                                          bos: g.bos, eos: g.eos, pad: g.pad, pre: g.pre)
        XCTAssertEqual(fromArrays.preTokenizer, .smollm)
        XCTAssertEqual(fromArrays.bos, 1)
        XCTAssertEqual(fromArrays.eos, 2)
        XCTAssertEqual(fromArrays.addedTokens, json.addedTokens)
        try assertMatchesHF(fromArrays, kind: "smollm")
        for kind in PreTokenizerKind.allCases {
            let other = try BPETokenizer(ggufTokens: tokens, merges: json.ggufMerges, tokenTypes: types,
                                         bos: nil, eos: nil, pad: nil, pre: kind.ggufName, normalizer: TokenizerNormalizer.none)
            try assertMatchesHF(other, kind: kind.rawValue)
        }
        // by default a qwen2 vocabulary gets Qwen2's NFC normalizer, as its tokenizer.json has
        let qwen = try BPETokenizer(ggufTokens: tokens, merges: json.ggufMerges, tokenTypes: types, bos: nil, eos: nil, pad: nil, pre: "qwen2")
        XCTAssertEqual(qwen.normalizer, .nfc)
        try assertMatchesHF(qwen, kind: "qwen2_nfc")
    }

    func testRealGGUFFileWhenPresent() throws {
        guard let url = BundledModels.smolLM2() else { throw XCTSkip("SmolLM2 GGUF not found (set TRIBUTARY_SMOLLM2_GGUF)") }
        let m = try GGUFFile(contentsOf: url).tokenizerMetadata()
        let t = try BPETokenizer(ggufTokens: m.tokens, merges: m.merges,
                                 tokenTypes: XCTUnwrap(m.tokenTypes).map { Int32($0) },
                                 bos: m.bosTokenId.map { Int32($0) }, eos: m.eosTokenId.map { Int32($0) },
                                 pad: m.paddingTokenId.map { Int32($0) }, pre: XCTUnwrap(m.pre))
        try assertMatchesHF(t, kind: "smollm")
        XCTAssertEqual(t.eos, 2)
    }

    // MARK: writing tokenizer.json

    func testWrittenTokenizerJSONRoundTrips() throws {
        let original = try Fixture.smollm.get()
        let t = try BPETokenizer(ggufTokens: Array(original.tokens), merges: original.ggufMerges, tokenTypes: original.ggufTokenTypes,
                                 bos: 1, eos: 2, pad: 2, pre: "smollm")
        let data = try t.tokenizerJSON()
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: data) as? [String: Any], "valid JSON")
        let reread = try BPETokenizer(tokenizerJSON: data, bos: "<|im_start|>", eos: "<|im_end|>", pad: "<|im_end|>")
        XCTAssertEqual(reread.preTokenizer, .smollm)
        XCTAssertEqual(reread.tokens, t.tokens)
        XCTAssertEqual(reread.addedTokens, t.addedTokens)
        XCTAssertEqual(reread.ggufMerges, t.ggufMerges)
        XCTAssertEqual(try reread.tokenizerJSON(), data, "writing is deterministic")
        try assertMatchesHF(reread, kind: "smollm")
    }

    func testWrittenPreTokenizerBlocksReadBack() throws {
        let tiny = try BPETokenizer(tokenizerJSON: ErrorTests.tinyJSON())
        for kind in PreTokenizerKind.allCases {
            let reread = try BPETokenizer(tokenizerJSON: tiny.with(preTokenizer: kind).tokenizerJSON())
            XCTAssertEqual(reread.preTokenizer, kind)
            XCTAssertEqual(reread.tokens, tiny.tokens)
            XCTAssertEqual(reread.encode("ab 12<|end|>"), [256, 32, 49, 50, 257])  // tiny ids are the byte values
        }
    }

    /// Writes checkpoint-style tokenizer directories (one per split) for
    /// `make_fixtures.py --check-written DIR`, and reads them back.
    func testWriteDirectoryReadsBack() throws {
        let original = try Fixture.smollm.get()
        for kind in PreTokenizerKind.allCases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-tokenizer-written-\(kind.rawValue)")
            try? FileManager.default.removeItem(at: dir)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let t = try BPETokenizer(ggufTokens: Array(original.tokens), merges: original.ggufMerges, tokenTypes: original.ggufTokenTypes,
                                     bos: 1, eos: 2, pad: 2, pre: kind.ggufName)
            try t.write(to: dir, chatTemplate: "{{ messages }}")
            let expectation = kind == .qwen2 ? "qwen2_nfc" : kind.rawValue  // the GGUF default adds Qwen2's NFC
            try Data("{\"kind\": \"\(expectation)\"}".utf8).write(to: dir.appendingPathComponent("kind.json"))
            guard kind == .smollm else { continue }  // the other kinds differ only in the block read back above
            let reread = try BPETokenizer(directory: dir)
            XCTAssertEqual(reread.bos, 1)
            XCTAssertEqual(reread.eos, 2)
            XCTAssertEqual(reread.pad, 2)
            XCTAssertEqual(reread.preTokenizer, kind)
            try assertMatchesHF(reread, kind: kind.rawValue)
        }
    }
}

/// A box the concurrent test writes disjoint slots of.
final class UnsafeSendableBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
