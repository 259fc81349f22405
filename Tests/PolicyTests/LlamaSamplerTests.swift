// The KV-cached sampler on Llama-family models (GQA cache of the KV heads only, RoPE at each
// position, q/k/v bias, tied and untied heads) against the full forward pass; top-p; several end
// tokens; SamplingOptions' backward-compatible decoding.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class LlamaSamplerTests: XCTestCase {
    /// The transformers fixtures' weights (Fixtures/make_real_family_fixtures.py), scaled up so the
    /// distributions are far from uniform.
    func fixtureModel(_ name: String, scale: Float = 3) throws -> GPT { try Self.fixtureModel(name, scale: scale) }

    static func fixtureModel(_ name: String, scale: Float = 3) throws -> GPT {
        let d = RealFamilyFixtureTests.dir(name)
        let cfg = try ModelConfig.read(configJSON: d.appendingPathComponent("config.json"))
        let m = try GPT.load(safetensors: d.appendingPathComponent("model.safetensors"), config: cfg)
        for t in m.layout.tensors where !t.isVector { try m.setParameter(t.name, m.parameter(t.name)!.map { $0 * scale }) }
        return m
    }

    let prompts: [[Int32]] = [[1, 2, 3], [40], [5, 66, 7, 8, 9], [1, 2, 3], [0, 299], [1, 2, 3]]

    func testSampledLogProbsEqualFullForwardForEveryFamily() throws {
        for name in ["llama-gqa", "qwen2-bias", "gpt2-untied"] {
            let m = try fixtureModel(name)
            var rng = Xoshiro256(seed: 42)
            let out = try Sampler(model: m).generate(prompts: prompts, options: SamplingOptions(maxNewTokens: 12), rng: &rng)
            for (p, c) in zip(prompts, out) {
                XCTAssertEqual(c.tokens.count, 12)
                let lp = try m.forward(tokens: p + c.tokens, batch: 1, length: p.count + c.tokens.count)
                for j in 0..<c.tokens.count {
                    XCTAssertEqual(c.logProbs[j], lp[p.count + j], accuracy: 2e-5, "\(name) prompt \(p) token \(j)")
                }
            }
            XCTAssertGreaterThan(Set(out.flatMap(\.tokens)).count, 10, name)
            XCTAssertNotEqual(out[0].tokens, out[3].tokens, "\(name): samples of one prompt are independent")
        }
    }

    func testGreedyEqualsArgmaxOfFullForward() throws {
        let m = try fixtureModel("llama-gqa")
        var rng = Xoshiro256(seed: 1)
        let out = try Sampler(model: m).generate(prompts: prompts, options: SamplingOptions(maxNewTokens: 10, greedy: true), rng: &rng)
        let V = m.config.vocabSize
        for (p, c) in zip(prompts, out) {
            let seq = p + c.tokens
            let lp = try m.forward(tokens: seq, batch: 1, length: seq.count)
            let logits = m.logits()
            for j in 0..<c.tokens.count {
                let row = Array(logits[((p.count + j - 1) * V)..<((p.count + j) * V)])
                XCTAssertEqual(Int(c.tokens[j]), row.indices.max { row[$0] < row[$1] }!, "prompt \(p) step \(j)")
                XCTAssertEqual(c.logProbs[j], lp[p.count + j], accuracy: 2e-5)
            }
        }
    }

    func testTopPKeepsTheNucleusAndReportsItsLogProb() throws {
        let m = try fixtureModel("qwen2-bias", scale: 4)
        let p: [Int32] = [3, 1, 4]
        let V = m.config.vocabSize
        _ = try m.forward(tokens: p, batch: 1, length: 3)
        let z = Array(m.logits()[(2 * V)...])
        let mx = z.max()!
        let probs = z.map { exp(Double($0 - mx)) }
        let total = probs.reduce(0, +)
        let order = probs.indices.sorted { probs[$0] > probs[$1] }
        let topP: Float = 0.6
        var nucleus = Set<Int>(), above = 0.0
        for j in order where nucleus.isEmpty || above < Double(topP) * total { nucleus.insert(j); above += probs[j] }
        XCTAssertGreaterThan(nucleus.count, 1, "the test needs a nucleus of several tokens")
        XCTAssertLessThan(nucleus.count, V / 2)
        var rng = Xoshiro256(seed: 7)
        let out = try Sampler(model: m).generate(prompts: Array(repeating: p, count: 200),
                                                 options: SamplingOptions(topP: topP, maxNewTokens: 1), rng: &rng)
        var seen = Set<Int>()
        for c in out {
            let t = Int(c.tokens[0])
            XCTAssertTrue(nucleus.contains(t), "token \(t) is outside the nucleus")
            XCTAssertEqual(Double(c.logProbs[0]), log(probs[t] / above), accuracy: 1e-4)
            seen.insert(t)
        }
        XCTAssertGreaterThan(seen.count, 1)
        // topP = 1 is no truncation; an out-of-range topP is an error.
        var r1 = Xoshiro256(seed: 3), r2 = Xoshiro256(seed: 3)
        XCTAssertEqual(try Sampler(model: m).generate(prompts: [p], options: SamplingOptions(topP: 1, maxNewTokens: 5), rng: &r1),
                       try Sampler(model: m).generate(prompts: [p], options: SamplingOptions(maxNewTokens: 5), rng: &r2))
        XCTAssertThrowsError(try Sampler(model: m).generate(prompts: [p], options: SamplingOptions(topP: 0, maxNewTokens: 1), rng: &r1))
    }

    func testTopKOverALargeVocabulary() throws {
        let m = try fixtureModel("llama-gqa", scale: 2)
        let p: [Int32] = [7, 8]
        let V = m.config.vocabSize
        _ = try m.forward(tokens: p, batch: 1, length: 2)
        let z = Array(m.logits()[V...]).map { $0 / 0.7 }
        let kth = z.sorted(by: >)[19]
        let mx = z.max()!
        let kept = z.filter { $0 >= kth }.map { exp(Double($0 - mx)) }.reduce(0, +)
        var rng = Xoshiro256(seed: 2)
        let out = try Sampler(model: m).generate(prompts: Array(repeating: p, count: 100),
                                                 options: SamplingOptions(temperature: 0.7, topK: 20, maxNewTokens: 1), rng: &rng)
        for c in out {
            let t = Int(c.tokens[0])
            XCTAssertGreaterThanOrEqual(z[t], kth)
            XCTAssertEqual(Double(c.logProbs[0]), Double(z[t] - mx) - log(kept), accuracy: 1e-4)
        }
        XCTAssertGreaterThan(Set(out.map(\.tokens[0])).count, 5)
    }

    func testSeveralEndTokensStopGeneration() throws {
        let m = try fixtureModel("llama-gqa")
        var rng = Xoshiro256(seed: 9)
        let free = try Sampler(model: m).generate(prompts: [[1, 2]], options: SamplingOptions(maxNewTokens: 12, greedy: true), rng: &rng)[0]
        // Stop at the greedy path's 3rd token through the extra end-token set.
        let stop = free.tokens[2]
        let firstStop = free.tokens.firstIndex(of: stop)!
        let out = try Sampler(model: m).generate(prompts: [[1, 2]],
                                                 options: SamplingOptions(maxNewTokens: 12, endToken: 299, endTokens: [stop], greedy: true),
                                                 rng: &rng)[0]
        XCTAssertEqual(out.tokens, Array(free.tokens[...firstStop]))
        XCTAssertEqual(out.finishReason, .end)
    }

    func testSamplingOptionsDecodeOlderJSON() throws {
        let old = #"{"temperature":0.5,"topK":3,"maxNewTokens":7,"endToken":2,"greedy":false}"#
        let o = try JSONDecoder().decode(SamplingOptions.self, from: Data(old.utf8))
        XCTAssertEqual(o, SamplingOptions(temperature: 0.5, topK: 3, maxNewTokens: 7, endToken: 2))
        let new = SamplingOptions(topP: 0.9, maxNewTokens: 4, endTokens: [5, 6])
        XCTAssertEqual(try JSONDecoder().decode(SamplingOptions.self, from: JSONEncoder().encode(new)), new)
    }
}

final class GreedyTokensTests: XCTestCase {
    func testGreedyTokensAreTheArgmaxOfTheLogits() throws {
        let m = try LlamaSamplerTests.fixtureModel("llama-gqa")
        let tokens: [Int32] = [1, 2, 3, 4, 5, 9, 8, 7, 6, 5]
        _ = try m.forward(tokens: tokens, batch: 2, length: 5)
        let g = m.greedyTokens(), logits = m.logits(), V = m.config.vocabSize
        XCTAssertEqual(g.count, 10)
        for b in 0..<2 {
            XCTAssertEqual(g[b * 5], -1)
            for t in 1..<5 {
                let r: Int = b * 5 + t - 1
                let row: [Float] = Array(logits[(r * V)..<((r + 1) * V)])
                let best: Int = row.indices.max { row[$0] < row[$1] }!
                XCTAssertEqual(Int(g[r + 1]), best)
            }
        }
    }
}
