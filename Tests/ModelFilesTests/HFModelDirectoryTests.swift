// Hugging Face directories: the sharded fixture (F16, BF16, F32 across two shards) reads to the
// values torch's .float() gives, JSON files come back raw, and inconsistent directories (missing
// shard, tensor absent from its shard, no weights, bad JSON, integer tensors) are typed errors.

import Foundation
import Tensor
import XCTest
@testable import ModelFiles

final class HFModelDirectoryTests: XCTestCase {
    struct Expected: Decodable { let dtype: String; let shape: [Int]; let bits: [UInt32] }

    func testShardedDirectoryMatchesTorch() throws {
        let dir = try HFModelDirectory(url: Fixtures.url("hf_sharded"))
        XCTAssertEqual(dir.weightFiles, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let set = try dir.loadTensors()
        let expected = try Fixtures.json("hf_sharded_expected.json", as: [String: Expected].self)
        XCTAssertEqual(Set(set.tensors.keys), Set(expected.keys))
        for (name, e) in expected {
            let t = try XCTUnwrap(set.tensors[name])
            XCTAssertEqual(t.shape, e.shape, name)
            XCTAssertEqual(bitPatterns(t.values), e.bits, "\(name) (\(e.dtype))")
        }
        XCTAssertEqual(set.sourceDTypes, ["F16": 2, "BF16": 1, "F32": 1])
        XCTAssertEqual(set.conversionSummary, "BF16→F32: 1 tensor, F16→F32: 2 tensors")
        // Non-finite values are data, not errors.
        XCTAssertEqual(set.tensors["model.a"]?.values[0], .infinity)
        XCTAssertTrue(set.tensors["model.a"]?.values[1].isNaN == true)
        XCTAssertEqual(set.tensors["model.c"]?.values[0], -.infinity)
    }

    func testJSONFilesAndTokenizerFields() throws {
        let dir = try HFModelDirectory(url: Fixtures.url("hf_sharded"))
        XCTAssertEqual(dir.config["model_type"], .string("llama"))
        XCTAssertEqual(dir.config["hidden_size"], .int(8))
        XCTAssertEqual(dir.config["rms_norm_eps"], .double(1e-05))
        XCTAssertEqual(dir.config["tie_word_embeddings"], .bool(true))
        XCTAssertEqual(dir.config["rope_scaling"], .null)
        XCTAssertEqual(dir.config["architectures"]?.array, [.string("LlamaForCausalLM")])
        XCTAssertEqual(dir.generationConfig?["eos_token_id"]?.int, 2)
        XCTAssertEqual(dir.generationConfig?["temperature"]?.double, 0.7)
        XCTAssertEqual(dir.bosToken, "<|im_start|>")
        XCTAssertEqual(dir.eosToken, "<|im_end|>")
        XCTAssertNil(dir.padToken)
        XCTAssertEqual(dir.chatTemplate, "{% for m in messages %}{{ m.content }}{% endfor %}")
        let tokenizer = try JSONValue.parse(XCTUnwrap(dir.tokenizerJSON), label: "tokenizer.json")
        XCTAssertEqual(tokenizer["model"]?["type"], .string("BPE"))
    }

    /// A copy of the sharded fixture that a test may break.
    func copyOfFixture() throws -> URL {
        let d = try Fixtures.temporaryDirectory(self).appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.url("hf_sharded"), to: d)
        return d
    }

    func assertDirectoryError<T>(_ body: @autoclosure () throws -> T, line: UInt = #line,
                                 _ match: (ModelDirectoryError.Kind) -> Bool) {
        do {
            _ = try body()
            XCTFail("expected a ModelDirectoryError", line: line)
        } catch let e as ModelDirectoryError {
            XCTAssertTrue(match(e.kind), "unexpected error: \(e)", line: line)
        } catch { XCTFail("expected a ModelDirectoryError, got \(error)", line: line) }
    }

    func writeIndex(_ d: URL, _ map: [String: String]) throws {
        let body = map.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        try Data("{\"weight_map\": {\(body)}}".utf8).write(to: d.appendingPathComponent("model.safetensors.index.json"))
    }

    func testMissingShardAndTensorNotInShard() throws {
        let d = try copyOfFixture()
        let shard1 = "model-00001-of-00002.safetensors"
        try writeIndex(d, ["model.a": shard1, "model.z": "model-00003-of-00002.safetensors"])
        assertDirectoryError(try HFModelDirectory(url: d)) {
            $0 == .missingShard(shard: "model-00003-of-00002.safetensors", tensor: "model.z")
        }
        try writeIndex(d, ["model.a": shard1, "model.c": shard1])
        let dir = try HFModelDirectory(url: d)
        assertDirectoryError(try dir.loadTensors()) { $0 == .tensorNotInShard(tensor: "model.c", shard: shard1) }
        try writeIndex(d, ["model.a": "../outside.safetensors"])
        assertDirectoryError(try HFModelDirectory(url: d)) { if case .badContent = $0 { true } else { false } }
        try Data("{\"weight_map\": 3}".utf8).write(to: d.appendingPathComponent("model.safetensors.index.json"))
        assertDirectoryError(try HFModelDirectory(url: d)) { if case .badContent = $0 { true } else { false } }
    }

    func testSingleFileNoWeightsBadJSONAndIntegerTensors() throws {
        let d = try copyOfFixture()
        let fm = FileManager.default
        for f in ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            try fm.removeItem(at: d.appendingPathComponent(f))
        }
        assertDirectoryError(try HFModelDirectory(url: d).loadTensors()) { if case .missingFile = $0 { true } else { false } }

        var st = SafeTensorsFile()
        st.tensors["w"] = TensorData(dtype: .F16, shape: [2], bytes: [0x00, 0x3C, 0x00, 0xC0])  // 1, -2
        try st.write(to: d.appendingPathComponent("model.safetensors"))
        let set = try HFModelDirectory(url: d).loadTensors()
        XCTAssertEqual(set.tensors["w"], FloatTensor(shape: [2], values: [1, -2]))
        XCTAssertEqual(set.conversionSummary, "F16→F32: 1 tensor")

        st.tensors["ids"] = TensorData(int32s: [1, 2], shape: [2])
        try st.write(to: d.appendingPathComponent("model.safetensors"))
        assertDirectoryError(try HFModelDirectory(url: d).loadTensors()) { $0 == .notFloat(tensor: "ids", dtype: "I32") }

        try Data([0x01, 0x02]).write(to: d.appendingPathComponent("model.safetensors"))
        assertDirectoryError(try HFModelDirectory(url: d).loadTensors()) { if case .safeTensors = $0 { true } else { false } }

        try Data("{\"model_type\": ".utf8).write(to: d.appendingPathComponent("config.json"))
        assertDirectoryError(try HFModelDirectory(url: d)) { if case .badJSON = $0 { true } else { false } }
        try fm.removeItem(at: d.appendingPathComponent("config.json"))
        assertDirectoryError(try HFModelDirectory(url: d)) { $0 == .missingFile("config.json") }
    }

    func testChatTemplateListAndFile() throws {
        let d = try copyOfFixture()
        let list = #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#
        try Data(list.utf8).write(to: d.appendingPathComponent("tokenizer_config.json"))
        XCTAssertEqual(try HFModelDirectory(url: d).chatTemplate, "D")
        try Data("J".utf8).write(to: d.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try HFModelDirectory(url: d).chatTemplate, "J")
    }
}
