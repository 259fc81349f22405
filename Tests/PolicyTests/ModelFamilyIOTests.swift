// Family-agnostic model I/O: Llama checkpoints round trip under Hugging Face names (lm_head only
// when untied) with AdamW and ALP state; tensor dictionaries; config.json errors that name the
// unsupported key; the activation-memory figure.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class ModelFamilyIOTests: XCTestCase {
    let llama = ModelConfig.llama(vocabSize: 50, hiddenSize: 16, intermediateSize: 24, layers: 2, heads: 4, kvHeads: 2,
                                  maxPositions: 32, ropeTheta: 100_000, rmsNormEps: 1e-5, tieWordEmbeddings: true)

    func testLlamaNamesAndShapes() throws {
        let m = try GPT(config: llama, seed: 1)
        let names = m.layout.tensors.map(\.name)
        XCTAssertEqual(names.first, "model.embed_tokens.weight")
        XCTAssertEqual(names.last, "model.norm.weight")
        XCTAssertFalse(names.contains("lm_head.weight"))
        XCTAssertEqual(m.layout.tensor(named: "model.layers.1.self_attn.k_proj.weight")?.shape, [8, 16])
        XCTAssertEqual(m.layout.tensor(named: "model.layers.0.mlp.down_proj.weight")?.shape, [16, 24])
        XCTAssertNil(m.layout.tensor(named: "model.layers.0.self_attn.q_proj.bias"))
        var untied = llama
        untied.tieWordEmbeddings = false
        untied.attentionBias = true
        let u = try GPT(config: untied, seed: 1)
        XCTAssertEqual(u.layout.tensors.last?.name, "lm_head.weight")
        XCTAssertEqual(u.layout.tensor(named: "model.layers.0.self_attn.v_proj.bias")?.shape, [8])
        XCTAssertEqual(u.parameterCount, m.parameterCount + 50 * 16 + 2 * (16 + 8 + 8))
    }

    func testLlamaCheckpointRoundTrip() throws {
        let dir = try makeTempDir().appendingPathComponent("ck")
        let m = try GPT(config: llama, seed: 2)
        try m.configureALP(ALPPerturbation(sigma0: 0.05))
        let tokens: [Int32] = [1, 5, 9, 3, 7, 2, 2, 8]
        _ = try m.forward(tokens: tokens, batch: 2, length: 4, perturbStep: 1)
        m.zeroGradients()
        try m.backward(dLogProbs: [0, 1, -1, 0.5, 0, 0.2, 0.3, -0.4])
        let opt = AdamW(layout: m.layout, config: AdamWConfig(learningRate: 1e-2))
        try opt.update(m)
        try Checkpoint.save(to: dir, model: m, optimizer: opt, vocab: [:], trainerState: Data("{}".utf8))
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertEqual(obj["model_type"] as? String, "llama")
        XCTAssertEqual(obj["architectures"] as? [String], ["LlamaForCausalLM"])
        XCTAssertEqual(obj["num_key_value_heads"] as? Int, 2)
        XCTAssertEqual(obj["rope_theta"] as? Double, 100_000)
        let file = try SafeTensorsFile.read(from: dir.appendingPathComponent("model.safetensors"))
        XCTAssertNotNil(file.tensors["model.layers.1.self_attn.q_proj.weight"])
        XCTAssertNil(file.tensors["lm_head.weight"])
        let ck = try Checkpoint.load(from: dir)
        XCTAssertEqual(ck.model.config, llama)
        XCTAssertEqual(ck.model.params.toArray(), m.params.toArray())
        XCTAssertEqual(ck.optimizer?.m.toArray(), opt.m.toArray())
        XCTAssertEqual(ck.model.alpSigmas, m.alpSigmas)
        XCTAssertEqual(try ck.model.forward(tokens: tokens, batch: 2, length: 4), try m.forward(tokens: tokens, batch: 2, length: 4))
        // The gradient file carries every parameter under its HF name.
        XCTAssertEqual(Set(m.gradientsFile().tensors.keys), Set(m.layout.tensors.map(\.name) + [GPT.alpLogScalesName]))
    }

    func testTensorDictionaryLoadingChecksNamesAndShapes() throws {
        let src = try GPT(config: llama, seed: 3)
        var tensors = src.parametersFile().tensors
        tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = TensorData(floats: [1, 2], shape: [2])
        tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"]  // tied: ignored
        let m = try GPT(config: llama, tensors: tensors)
        XCTAssertEqual(m.params.toArray(), src.params.toArray())
        var missing = tensors
        missing["model.norm.weight"] = nil
        XCTAssertThrowsError(try GPT(config: llama, tensors: missing)) { XCTAssertTrue("\($0)".contains("missing tensor 'model.norm.weight'")) }
        var extra = tensors
        extra["model.layers.7.mlp.up_proj.weight"] = TensorData(floats: [1], shape: [1])
        XCTAssertThrowsError(try GPT(config: llama, tensors: extra)) { XCTAssertTrue("\($0)".contains("unexpected tensor")) }
        var shape = tensors
        shape["model.embed_tokens.weight"] = TensorData(floats: [Float](repeating: 0, count: 49 * 16), shape: [49, 16])
        XCTAssertThrowsError(try GPT(config: llama, tensors: shape)) { XCTAssertTrue("\($0)".contains("vocabulary size 49")) }
    }

    func testReleaseActivations() throws {
        let m = try GPT(config: llama, seed: 4)
        let tokens: [Int32] = [1, 2, 3, 4, 5, 6]
        let lp = try m.forward(tokens: tokens, batch: 2, length: 3)
        XCTAssertGreaterThanOrEqual(m.activationFloats, 6 * llama.activationBytesPerToken(length: 3) / 4)
        m.releaseActivations()
        XCTAssertLessThanOrEqual(m.activationFloats, 2)
        XCTAssertEqual(m.logProbs(), [])
        XCTAssertThrowsError(try m.backward(dLogProbs: [Float](repeating: 0, count: 6)))
        XCTAssertEqual(try m.forward(tokens: tokens, batch: 2, length: 3), lp)
    }

    func testInferenceOnlyForwardSharesBlockBuffers() throws {
        for cfg in [llama, ModelConfig(vocabSize: 50, nPositions: 16, nEmbd: 16, nLayer: 3, nHead: 2)] {
            let tokens: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8]
            let full = try GPT(config: cfg, seed: 5), lean = try GPT(config: cfg, seed: 5)
            let lp = try full.forward(tokens: tokens, batch: 2, length: 4)
            XCTAssertEqual(try lean.forward(tokens: tokens, batch: 2, length: 4, forBackward: false), lp)
            XCTAssertEqual(lean.entropies(), full.entropies())
            XCTAssertEqual(lean.greedyTokens(), full.greedyTokens())
            XCTAssertLessThan(lean.activationFloats, full.activationFloats)
            XCTAssertLessThan(cfg.activationBytesPerToken(length: 4, forBackward: false), cfg.activationBytesPerToken(length: 4))
            XCTAssertThrowsError(try lean.backward(dLogProbs: [Float](repeating: 0.1, count: 8))) {
                XCTAssertTrue("\($0)".contains("forBackward"))
            }
        }
    }

    func decode(_ json: String) throws -> ModelConfig { try ModelConfig(huggingFaceConfig: Data(json.utf8)) }
    let base = #""hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10, "max_position_embeddings": 8"#

    func assertUnsupported(_ json: String, key: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(json), file: file, line: line) { e in
            guard case .unsupportedConfig(let k, _, _)? = e as? PolicyError else {
                return XCTFail("expected unsupportedConfig, got \(e)", file: file, line: line)
            }
            XCTAssertEqual(k, key, file: file, line: line)
            XCTAssertTrue("\(e)".contains(key), file: file, line: line)
        }
    }

    func testConfigErrorsNameTheUnsupportedKey() throws {
        XCTAssertEqual(try decode(#"{"model_type": "llama", \#(base)}"#).nKVHead, 4)
        XCTAssertEqual(try decode(#"{"model_type": "mistral", "sliding_window": null, \#(base)}"#).family, .llama)
        XCTAssertEqual(try decode(#"{"model_type": "llama", "rope_scaling": null, "rope_theta": 5.0, \#(base)}"#).ropeTheta, 5)
        assertUnsupported(#"{"model_type": "llama", "rope_scaling": {"type": "linear", "factor": 2.0}, \#(base)}"#, key: "rope_scaling")
        assertUnsupported(#"{"model_type": "llama", "rope_parameters": {"rope_type": "llama3", "rope_theta": 5e5}, \#(base)}"#, key: "rope_parameters")
        assertUnsupported(#"{"model_type": "llama", "hidden_act": "gelu", \#(base)}"#, key: "hidden_act")
        assertUnsupported(#"{"model_type": "llama", "attention_bias": true, \#(base)}"#, key: "attention_bias")
        assertUnsupported(#"{"model_type": "qwen2", "use_sliding_window": true, \#(base)}"#, key: "use_sliding_window")
        assertUnsupported(#"{"model_type": "mistral", "sliding_window": 4096, \#(base)}"#, key: "sliding_window")
        assertUnsupported(#"{"model_type": "llama", "head_dim": 8, \#(base)}"#, key: "head_dim")
        assertUnsupported(#"{"model_type": "phi3", \#(base)}"#, key: "model_type")
        assertUnsupported(#"{"model_type": "gpt2", "activation_function": "relu", "vocab_size": 5, "n_positions": 4, "n_embd": 8, "n_layer": 1, "n_head": 2}"#, key: "activation_function")
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "num_key_value_heads": 3, \#(base)}"#)) {
            XCTAssertTrue("\($0)".contains("not divisible by num_key_value_heads"))
        }
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "hidden_size": 16}"#)) { XCTAssertTrue("\($0)".contains("missing key")) }
    }

    func testLlamaActivationBytesPerToken() {
        // SmolLM2-135M: 30 layers, width 576, 9 heads, 3 KV heads, MLP 1536; sequences of 96 tokens.
        let smol = ModelConfig.llama(vocabSize: 49_152, hiddenSize: 576, intermediateSize: 1536, layers: 30, heads: 9,
                                     kvHeads: 3, maxPositions: 8192, ropeTheta: 100_000, tieWordEmbeddings: true)
        let perToken = smol.activationBytesPerToken(length: 96)
        // Per layer and token: q|k|v 960 + attention out 576 + residuals 2·576 + gate|up 3072 + lse 9 + 2 rstd
        // = 5771 floats; × 30 layers plus ~9k floats of embedding, final norm and backward scratch.
        XCTAssertEqual(perToken, (30 * 5771 + 9025) * 4, accuracy: 30 * 16 * 4)
        XCTAssertEqual(ModelConfig(vocabSize: 16, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2).activationBytesPerToken(length: 8) % 4, 0)
    }
}
