// Configuration presets and config.json, model loading checks, checkpoint round trip and atomicity.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class ModelIOTests: XCTestCase {
    func testPresetsAndUnknownPreset() throws {
        let s = try ModelConfig.preset("small", vocabSize: 40)
        XCTAssertEqual(s, ModelConfig(vocabSize: 40, nPositions: 64, nEmbd: 128, nLayer: 4, nHead: 4))
        XCTAssertEqual(try ModelConfig.preset("base", vocabSize: 9).nEmbd, 256)
        XCTAssertEqual(try ModelConfig.preset("tiny", vocabSize: 9).nLayer, 2)
        XCTAssertThrowsError(try ModelConfig.preset("huge", vocabSize: 9)) {
            XCTAssertEqual($0 as? PolicyError, .unknownPreset("huge", valid: ["tiny", "small", "base"]))
            XCTAssertTrue("\($0)".contains("tiny, small, base"))
        }
        XCTAssertThrowsError(try ModelConfig(vocabSize: 9, nPositions: 8, nEmbd: 10, nLayer: 1, nHead: 3).validate())
    }

    func testConfigJSONHasExactlyTheHuggingFaceKeys() throws {
        let c = try ModelConfig.preset("base", vocabSize: 33)
        let obj = try JSONSerialization.jsonObject(with: c.configJSON()) as! [String: Any]
        XCTAssertEqual(Set(obj.keys), ["model_type", "architectures", "vocab_size", "n_positions", "n_embd", "n_layer",
                                       "n_head", "activation_function", "layer_norm_epsilon", "tie_word_embeddings",
                                       "resid_pdrop", "embd_pdrop", "attn_pdrop", "torch_dtype"])
        XCTAssertEqual(obj["model_type"] as? String, "gpt2")
        XCTAssertEqual(obj["architectures"] as? [String], ["GPT2LMHeadModel"])
        XCTAssertEqual(obj["activation_function"] as? String, "gelu_new")
        XCTAssertEqual(obj["layer_norm_epsilon"] as? Double, 1e-5)
        XCTAssertEqual(obj["tie_word_embeddings"] as? Bool, true)
        XCTAssertEqual(obj["n_positions"] as? Int, 128)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: c.configJSON()), c)
        // A non-GPT-2 config is refused with the file named.
        let dir = try makeTempDir()
        let url = dir.appendingPathComponent("config.json")
        try Data(#"{"model_type":"llama","vocab_size":4,"n_positions":4,"n_embd":4,"n_layer":1,"n_head":1}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ModelConfig.read(configJSON: url)) { XCTAssertTrue("\($0)".contains(url.path)) }
    }

    func testInitialisationFollowsGPT2() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let m = try GPT(config: cfg, seed: 3)
        XCTAssertEqual(m.parameter("transformer.h.0.ln_1.weight")!, [Float](repeating: 1, count: 64))
        XCTAssertEqual(m.parameter("transformer.h.1.mlp.c_fc.bias")!, [Float](repeating: 0, count: 256))
        func std(_ x: [Float]) -> Float { (x.map { $0 * $0 }.reduce(0, +) / Float(x.count)).squareRoot() }
        XCTAssertEqual(std(m.parameter("transformer.h.0.mlp.c_fc.weight")!), 0.02, accuracy: 0.001)
        XCTAssertEqual(std(m.parameter("transformer.h.0.mlp.c_proj.weight")!), 0.02 / 2, accuracy: 0.001)
        XCTAssertEqual(m.layout.tensors.first?.name, "transformer.wte.weight")
        XCTAssertEqual(m.layout.tensors.last?.name, "transformer.ln_f.bias")
        let again = try GPT(config: cfg, seed: 3)
        XCTAssertEqual(again.params.toArray(), m.params.toArray())
        XCTAssertNotEqual(try GPT(config: cfg, seed: 4).params.toArray(), m.params.toArray())
    }

    func testLoadingChecksNamesShapesAndVocab() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let good = try GPT(config: cfg, seed: 1).parametersFile()
        var missing = good; missing.tensors["transformer.h.1.ln_2.bias"] = nil
        XCTAssertThrowsError(try GPT(config: cfg).loadParameters(from: missing)) {
            XCTAssertTrue("\($0)".contains("missing tensor 'transformer.h.1.ln_2.bias'"), "\($0)")
        }
        var shape = good; shape.tensors["transformer.h.0.attn.c_attn.weight"] = TensorData(floats: .init(repeating: 0, count: 192 * 64), shape: [192, 64])
        XCTAssertThrowsError(try GPT(config: cfg).loadParameters(from: shape)) { XCTAssertTrue("\($0)".contains("[192, 64]"), "\($0)") }
        var extra = good; extra.tensors["transformer.h.9.foo"] = TensorData(floats: [1], shape: [1])
        XCTAssertThrowsError(try GPT(config: cfg).loadParameters(from: extra)) { XCTAssertTrue("\($0)".contains("unexpected tensor"), "\($0)") }
        XCTAssertThrowsError(try GPT(config: try ModelConfig.preset("tiny", vocabSize: 17)).loadParameters(from: good)) {
            XCTAssertTrue("\($0)".contains("vocabulary size 16 in the file, 17 in the config"), "\($0)")
        }
        var dtype = good; dtype.tensors["transformer.ln_f.bias"] = TensorData(int32s: .init(repeating: 0, count: 64), shape: [64])
        XCTAssertThrowsError(try GPT(config: cfg).loadParameters(from: dtype)) { XCTAssertTrue("\($0)".contains("I32"), "\($0)") }
    }

    func testCheckpointRoundTripAndReplace() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let model = try GPT(config: cfg, seed: 11)
        let opt = AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-3, weightDecay: 0.05))
        let tokens: [Int32] = (0..<16).map { Int32($0 % 16) }
        for _ in 0..<2 {
            let lp = try model.forward(tokens: tokens, batch: 2, length: 8)
            model.zeroGradients()
            try model.backward(dLogProbs: lp.indices.map { $0 % 8 == 0 ? 0 : -1 / 14 })
            try opt.update(model)
        }
        let vocab = Dictionary(uniqueKeysWithValues: (0..<16).map { ("t\($0)", $0) })
        let state = Data(#"{"step":2,"rng":[1,2,3,4]}"#.utf8)
        let root = try makeTempDir()
        let dir = root.appendingPathComponent("ckpt")
        try Checkpoint.save(to: dir, model: model, optimizer: opt, vocab: vocab, trainerState: state)
        let l = try Checkpoint.load(from: dir)
        XCTAssertEqual(l.model.params.toArray(), model.params.toArray())
        XCTAssertEqual(l.model.config, cfg)
        XCTAssertEqual(l.vocab, vocab)
        XCTAssertEqual(l.trainerState, state)
        let o = try XCTUnwrap(l.optimizer)
        XCTAssertEqual(o.step, 2)
        XCTAssertEqual(o.config, opt.config)
        XCTAssertEqual(o.m.toArray(), opt.m.toArray())
        XCTAssertEqual(o.v.toArray(), opt.v.toArray())
        // Replacing an existing checkpoint; nothing but the checkpoint remains in the parent.
        let other = try GPT(config: cfg, seed: 12)
        try Checkpoint.save(to: dir, model: other, optimizer: nil, vocab: vocab, trainerState: state)
        let l2 = try Checkpoint.load(from: dir)
        XCTAssertEqual(l2.model.params.toArray(), other.params.toArray())
        XCTAssertNil(l2.optimizer)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["ckpt"])
    }

    func testFailedSaveLeavesOldCheckpointAndNoPartialDirectory() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let first = try GPT(config: cfg, seed: 1)
        let root = try makeTempDir()
        let dir = root.appendingPathComponent("ckpt")
        try Checkpoint.save(to: dir, model: first, optimizer: nil, vocab: ["a": 0], trainerState: Data("{}".utf8))
        let second = try GPT(config: cfg, seed: 2)
        for n in 0..<4 {
            XCTAssertThrowsError(try Checkpoint.save(to: dir, model: second, optimizer: nil, vocab: ["b": 1],
                                                     trainerState: Data("{}".utf8), failAfterFiles: n))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["ckpt"])
            let l = try Checkpoint.load(from: dir)
            XCTAssertEqual(l.model.params.toArray(), first.params.toArray())
            XCTAssertEqual(l.vocab, ["a": 0])
        }
        // A fresh target that fails never appears at all.
        let fresh = root.appendingPathComponent("fresh")
        XCTAssertThrowsError(try Checkpoint.save(to: fresh, model: second, optimizer: nil, vocab: [:],
                                                 trainerState: Data(), failAfterFiles: 2))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh.path))
    }

    func testLoadRejectsVocabOutsideConfig() throws {
        let cfg = try ModelConfig.preset("tiny", vocabSize: 16)
        let root = try makeTempDir()
        let dir = root.appendingPathComponent("c")
        try Checkpoint.save(to: dir, model: try GPT(config: cfg, seed: 1), optimizer: nil, vocab: ["x": 16],
                            trainerState: Data())
        XCTAssertThrowsError(try Checkpoint.load(from: dir)) { XCTAssertTrue("\($0)".contains("outside vocab_size 16"), "\($0)") }
    }
}
