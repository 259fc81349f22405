// SmolLM2-135M-Instruct against transformers (Fixtures/smollm2-reference.json, made by
// make_smollm2_reference.py): greedy continuations of three chat prompts equal token for token
// and per-token log-probs within 1e-3. Needs the model as a Hugging Face F32 directory
// (config.json + model.safetensors) named by TRIBUTARY_SMOLLM2_HF_DIR — e.g. the GGUF dequantised
// by transformers and saved with safetensors; skipped otherwise (the GGUF-based test belongs
// with the GGUF loader).

import Foundation
import XCTest
@testable import Policy
import Tensor

final class SmolLM2ReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Prompt: Decodable {
            let prompt_tokens: [Int32]
            let greedy_tokens: [Int32]
            let logprobs: [Float]
        }
        let prompts: [Prompt]
        let max_new_tokens: Int
    }

    func testGreedyAndLogProbsMatchTransformers() throws {
        guard let dir = ProcessInfo.processInfo.environment["TRIBUTARY_SMOLLM2_HF_DIR"] else {
            throw XCTSkip("set TRIBUTARY_SMOLLM2_HF_DIR to a Hugging Face F32 directory of SmolLM2-135M-Instruct")
        }
        let url = URL(fileURLWithPath: dir)
        let cfg = try ModelConfig.read(configJSON: url.appendingPathComponent("config.json"))
        XCTAssertEqual(cfg.family, .llama)
        XCTAssertEqual(cfg.nKVHead, 3)
        let model = try GPT.load(safetensors: url.appendingPathComponent("model.safetensors"), config: cfg)
        let refURL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("smollm2-reference.json")
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: refURL))
        var rng = Xoshiro256(seed: 0)
        let opts = SamplingOptions(maxNewTokens: ref.max_new_tokens, endToken: 2, greedy: true)
        let outs = try Sampler(model: model).generate(prompts: ref.prompts.map(\.prompt_tokens), options: opts, rng: &rng)
        for (p, out) in zip(ref.prompts, outs) {
            XCTAssertEqual(out.tokens, p.greedy_tokens)
            let seq = p.prompt_tokens + p.greedy_tokens
            let lp = try model.forward(tokens: seq, batch: 1, length: seq.count)
            XCTAssertEqual(lp.count, p.logprobs.count)
            let worst = zip(lp, p.logprobs).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-3, "log-probs")
            print("SmolLM2 prompt of \(p.prompt_tokens.count) tokens: worst |Δ log p| = \(worst)")
            for (j, l) in out.logProbs.enumerated() where j < p.greedy_tokens.count {
                XCTAssertEqual(l, p.logprobs[p.prompt_tokens.count + j], accuracy: 1e-3)
            }
        }
    }
}
