// GGUF → Hugging Face against transformers: the tiny llama and qwen2 fixtures' mapped tensors
// must equal, bit for bit, the state_dict that AutoModelForCausalLM.from_pretrained(gguf_file=…)
// holds (recorded by make_fixtures.py), including llama's Q/K row un-permutation; the config
// values must equal transformers' config; tokenizer metadata is exposed as stored.

import Tensor
import XCTest
@testable import ModelFiles

final class GGUFHuggingFaceTests: XCTestCase {
    struct Config: Decodable {
        let model_type: String
        let hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads: Int
        let head_dim: Int?
        let max_position_embeddings: Int
        let rope_theta, rms_norm_eps: Double
        let vocab_size: Int
        let tie_word_embeddings: Bool
        let bos_token_id, eos_token_id: Int?
    }

    func checkAgainstTransformers(_ arch: String, tensorCount: Int) throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tiny_\(arch).gguf"))
        let reference = try SafeTensorsFile.read(from: Fixtures.url("tiny_\(arch)_reference.safetensors"))
        let mapped = try file.huggingFaceTensors()
        XCTAssertEqual(mapped.count, tensorCount)
        XCTAssertEqual(Set(mapped.keys), Set(reference.tensors.keys), "names differ from transformers' state_dict")
        for (name, t) in mapped {
            let ref = try reference.tensor(name)
            XCTAssertEqual(t.shape, ref.shape, name)
            XCTAssertEqual(bitPatterns(t.values), bitPatterns(try ref.floats()), name)
            XCTAssertEqual(try file.huggingFaceTensor(name), t)
        }
        let config = try file.huggingFaceConfig()
        let ref = try Fixtures.json("tiny_\(arch)_config.json", as: Config.self)
        XCTAssertEqual(config.modelType, ref.model_type)
        XCTAssertEqual(config.hiddenSize, ref.hidden_size)
        XCTAssertEqual(config.intermediateSize, ref.intermediate_size)
        XCTAssertEqual(config.numHiddenLayers, ref.num_hidden_layers)
        XCTAssertEqual(config.numAttentionHeads, ref.num_attention_heads)
        XCTAssertEqual(config.numKeyValueHeads, ref.num_key_value_heads)
        XCTAssertEqual(config.headDim, ref.head_dim ?? ref.hidden_size / ref.num_attention_heads)
        XCTAssertEqual(config.maxPositionEmbeddings, ref.max_position_embeddings)
        XCTAssertEqual(config.ropeTheta, ref.rope_theta)
        XCTAssertEqual(config.rmsNormEps, ref.rms_norm_eps)
        XCTAssertEqual(config.vocabSize, ref.vocab_size)
        XCTAssertEqual(config.tieWordEmbeddings, ref.tie_word_embeddings)
        XCTAssertEqual(config.bosTokenId, ref.bos_token_id)
        XCTAssertEqual(config.eosTokenId, ref.eos_token_id)
        XCTAssertEqual(config.json["hidden_size"], .int(ref.hidden_size))
        XCTAssertEqual(config.json["rms_norm_eps"], .double(ref.rms_norm_eps))
        XCTAssertEqual(config.json["tie_word_embeddings"], .bool(ref.tie_word_embeddings))
    }

    func testTinyLlamaEqualsTransformersStateDict() throws {
        try checkAgainstTransformers("llama", tensorCount: 21)
        // The un-permutation matters: the raw GGUF rows of Q differ from the mapped ones.
        let file = try GGUFFile(contentsOf: Fixtures.url("tiny_llama.gguf"))
        XCTAssertNotEqual(try file.floats("blk.0.attn_q.weight"),
                          try file.huggingFaceTensor("model.layers.0.self_attn.q_proj.weight").values)
        XCTAssertEqual(try file.floats("blk.0.attn_v.weight"),
                       try file.huggingFaceTensor("model.layers.0.self_attn.v_proj.weight").values)
        XCTAssertEqual(try file.huggingFaceArchitecture(), .llama)
        XCTAssertEqual(file.tensorsWithoutHuggingFaceName(), [])
        XCTAssertFalse(try file.huggingFaceConfig().tieWordEmbeddings)
    }

    func testTinyQwen2EqualsTransformersStateDict() throws {
        try checkAgainstTransformers("qwen2", tensorCount: 26)
        let file = try GGUFFile(contentsOf: Fixtures.url("tiny_qwen2.gguf"))
        XCTAssertEqual(try file.floats("blk.1.attn_q.weight"),
                       try file.huggingFaceTensor("model.layers.1.self_attn.q_proj.weight").values)
        XCTAssertEqual(try file.huggingFaceTensor("model.layers.1.self_attn.k_proj.bias").shape, [32])
        XCTAssertTrue(try file.huggingFaceConfig().tieWordEmbeddings)
    }

    func testNameMapping() {
        let cases: [(String, String?)] = [
            ("token_embd.weight", "model.embed_tokens.weight"),
            ("output_norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"),
            ("blk.12.attn_q.weight", "model.layers.12.self_attn.q_proj.weight"),
            ("blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias"),
            ("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
            ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            ("blk.3.ffn_gate.weight", "model.layers.3.mlp.gate_proj.weight"),
            ("blk.3.ffn_up.weight", "model.layers.3.mlp.up_proj.weight"),
            ("blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight"),
            ("blk.3.attn_norm.weight", "model.layers.3.input_layernorm.weight"),
            ("blk.3.ffn_norm.weight", "model.layers.3.post_attention_layernorm.weight"),
            ("rope_freqs.weight", nil), ("blk.x.attn_q.weight", nil), ("blk.01.attn_q.weight", nil),
            ("blk.1.attn_q.scale", nil), ("blk.1.ffn_gate_exps.weight", nil),
        ]
        for (gguf, hf) in cases { XCTAssertEqual(GGUFFile.huggingFaceName(of: gguf), hf, gguf) }
    }

    func testUnpermuteRowsLayout() throws {
        // 2 heads of 4 rows, 1 column: GGUF rows (h, i, j) = h·4 + 2i + j hold value 10h + 2i + j;
        // HF row h·4 + j·2 + i must hold it.
        let gguf: [Float] = [0, 1, 2, 3, 10, 11, 12, 13]
        let hf = try GGUFFile.unpermuteRows(gguf, rows: 8, heads: 2, tensor: "t", file: "f")
        XCTAssertEqual(hf, [0, 2, 1, 3, 10, 12, 11, 13])
        assertGGUFError(try GGUFFile.unpermuteRows(gguf, rows: 8, heads: 3, tensor: "t", file: "f")) {
            if case .badTensorInfo(let t, _) = $0 { return t == "t" } else { return false }
        }
    }

    func testTokenizerMetadata() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tiny_llama.gguf"))
        let t = try file.tokenizerMetadata()
        XCTAssertEqual(t.model, "gpt2")
        XCTAssertEqual(t.pre, "default")
        XCTAssertEqual(t.tokens.count, 40)
        XCTAssertEqual(t.tokens[0], "tok0")
        XCTAssertEqual(t.tokens[39], "</s>")
        XCTAssertEqual(t.merges, ["t o", "to k"])
        XCTAssertEqual(t.tokenTypes?.suffix(3), [1, 3, 3])
        XCTAssertEqual(t.bosTokenId, 38)
        XCTAssertEqual(t.eosTokenId, 39)
        XCTAssertNil(t.paddingTokenId)
        XCTAssertEqual(t.addBosToken, false)
        XCTAssertEqual(t.chatTemplate, "{% for m in messages %}{{ m['content'] }}{% endfor %}")
    }

    func testUnsupportedArchitecture() throws {
        let file = try GGUFFile(contentsOf: Fixtures.url("tensors.gguf"))
        XCTAssertEqual(file.tensorsWithoutHuggingFaceName().count, file.tensors.count)
        assertGGUFError(try file.huggingFaceConfig()) { $0 == .unsupportedArchitecture("test") }
        assertGGUFError(try file.huggingFaceTensors()) { $0 == .unsupportedArchitecture("test") }
    }
}
