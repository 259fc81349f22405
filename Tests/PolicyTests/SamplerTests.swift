// The batched KV-cache sampler against the full forward pass: log-probs, greedy choices,
// top-k/temperature distributions, stopping, determinism and input validation.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class SamplerTests: XCTestCase {
    let cfg = ModelConfig(vocabSize: 12, nPositions: 24, nEmbd: 32, nLayer: 2, nHead: 4)

    func model() throws -> GPT {
        let m = try GPT(config: cfg, seed: 5)
        // Larger weights than GPT-2's init so distributions are far from uniform.
        var rng = Xoshiro256(seed: 8)
        for t in m.layout.tensors where !t.isVector {
            try m.setParameter(t.name, m.parameter(t.name)!.map { $0 * 8 + 0.02 * rng.nextGaussian() })
        }
        return m
    }

    let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [1, 2, 3], [0, 11]]

    /// Full-forward logits of prompt + completion (one sequence), [len, V].
    func fullForward(_ m: GPT, _ seq: [Int32]) throws -> (lp: [Float], logits: [Float]) {
        let lp = try m.forward(tokens: seq, batch: 1, length: seq.count)
        return (lp, m.logits())
    }

    func testSampledLogProbsEqualForwardLogProbsAtTemperatureOne() throws {
        let m = try model()
        var rng = Xoshiro256(seed: 42)
        let out = try Sampler(model: m).generate(prompts: prompts, options: SamplingOptions(maxNewTokens: 10), rng: &rng)
        XCTAssertEqual(out.count, prompts.count)
        for (p, c) in zip(prompts, out) {
            XCTAssertEqual(c.tokens.count, 10)
            XCTAssertEqual(c.finishReason, .length)
            let (lp, _) = try fullForward(m, p + c.tokens)
            for j in 0..<c.tokens.count {
                XCTAssertEqual(c.logProbs[j], lp[p.count + j], accuracy: 1e-5, "prompt \(p) token \(j)")
            }
        }
        // Not degenerate: several distinct tokens were sampled.
        XCTAssertGreaterThan(Set(out.flatMap(\.tokens)).count, 3)
    }

    /// Head size 32 takes the register-blocked cached-attention path; groups of identical prompts
    /// share one prefilled cache slot. Both must reproduce the full forward's log-probs.
    func testHeadSize32AndSharedPromptsMatchForward() throws {
        let c32 = ModelConfig(vocabSize: 12, nPositions: 24, nEmbd: 64, nLayer: 2, nHead: 2)
        let m = try GPT(config: c32, seed: 6)
        for t in m.layout.tensors where !t.isVector { try m.setParameter(t.name, m.parameter(t.name)!.map { $0 * 6 }) }
        let ps: [[Int32]] = [[1, 2, 3], [1, 2, 3], [4, 5], [1, 2, 3], [4, 5], [7]]
        var rng = Xoshiro256(seed: 4)
        let out = try Sampler(model: m).generate(prompts: ps, options: SamplingOptions(maxNewTokens: 9), rng: &rng)
        for (p, c) in zip(ps, out) {
            let (lp, _) = try fullForward(m, p + c.tokens)
            for j in 0..<c.tokens.count {
                XCTAssertEqual(c.logProbs[j], lp[p.count + j], accuracy: 1e-5, "prompt \(p) token \(j)")
            }
        }
        XCTAssertNotEqual(out[0].tokens, out[1].tokens, "samples of one prompt are drawn independently")
    }

    /// More than 1024 prompt rows: the prefill runs in several batches.
    func testPrefillInBatchesMatchesForward() throws {
        let m = try model()
        var rng = Xoshiro256(seed: 12)
        let ps: [[Int32]] = (0..<50).map { _ in (0..<22).map { _ in Int32(rng.next() % 12) } }  // 1100 rows
        let out = try Sampler(model: m).generate(prompts: ps, options: SamplingOptions(maxNewTokens: 2), rng: &rng)
        for i in [0, 24, 45, 49] {
            let (lp, _) = try fullForward(m, ps[i] + out[i].tokens)
            XCTAssertEqual(out[i].tokens.count, 2)
            for j in 0..<2 { XCTAssertEqual(out[i].logProbs[j], lp[22 + j], accuracy: 1e-5, "prompt \(i) token \(j)") }
        }
    }

    func testDeterministicFromRNGState() throws {
        let m = try model()
        let s = Sampler(model: m)
        var a = Xoshiro256(seed: 1), b = Xoshiro256(seed: 1), c = Xoshiro256(seed: 2)
        let o = SamplingOptions(temperature: 1.3, maxNewTokens: 12)
        let x = try s.generate(prompts: prompts, options: o, rng: &a)
        let y = try s.generate(prompts: prompts, options: o, rng: &b)
        let z = try s.generate(prompts: prompts, options: o, rng: &c)
        XCTAssertEqual(x, y)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(x.map(\.tokens), z.map(\.tokens))
    }

    func testGreedyPicksArgmaxAndTopKRenormalises() throws {
        let m = try model()
        let s = Sampler(model: m)
        var rng = Xoshiro256(seed: 3)
        let V = cfg.vocabSize
        let greedy = try s.generate(prompts: prompts, options: SamplingOptions(maxNewTokens: 6, greedy: true), rng: &rng)
        for (p, c) in zip(prompts, greedy) {
            let (lp, logits) = try fullForward(m, p + c.tokens)
            for j in 0..<c.tokens.count {
                let row = Array(logits[((p.count + j - 1) * V)..<((p.count + j) * V)])
                XCTAssertEqual(Int(c.tokens[j]), row.indices.max { row[$0] < row[$1] }!)
                XCTAssertEqual(c.logProbs[j], lp[p.count + j], accuracy: 1e-5)
            }
        }
        let top1 = try s.generate(prompts: prompts, options: SamplingOptions(topK: 1, maxNewTokens: 6), rng: &rng)
        XCTAssertEqual(top1.map(\.tokens), greedy.map(\.tokens))
        XCTAssertTrue(top1.allSatisfy { $0.logProbs.allSatisfy { abs($0) < 1e-6 } })

        let tau: Float = 0.7, k = 3
        let tk = try s.generate(prompts: prompts, options: SamplingOptions(temperature: tau, topK: k, maxNewTokens: 8), rng: &rng)
        for (p, c) in zip(prompts, tk) {
            let (_, logits) = try fullForward(m, p + c.tokens)
            for j in 0..<c.tokens.count {
                let row = logits[((p.count + j - 1) * V)..<((p.count + j) * V)].map { Double($0 / tau) }
                let kept = row.sorted(by: >).prefix(k)
                let tok = Double(row[Int(c.tokens[j])])
                XCTAssertGreaterThanOrEqual(tok, kept.last!, "sampled token outside the top-\(k)")
                let mx = kept.first!
                let expected = tok - mx - log(kept.map { exp($0 - mx) }.reduce(0, +))
                XCTAssertEqual(Double(c.logProbs[j]), expected, accuracy: 1e-5)
            }
        }
    }

    func testStopsAtEndTokenAndAtPositionLimit() throws {
        let m = try model()
        var rng = Xoshiro256(seed: 9)
        let out = try Sampler(model: m).generate(prompts: Array(repeating: [1, 2], count: 32),
                                                 options: SamplingOptions(maxNewTokens: 15, endToken: 4), rng: &rng)
        var sawEnd = false
        for c in out {
            if c.finishReason == .end {
                sawEnd = true
                XCTAssertEqual(c.tokens.last, 4)
                XCTAssertEqual(c.tokens.filter { $0 == 4 }.count, 1)
            } else {
                XCTAssertEqual(c.tokens.count, 15)
                XCTAssertFalse(c.tokens.contains(4))
            }
        }
        XCTAssertTrue(sawEnd, "no sequence hit the end token; pick another seed")
        // n_positions = 24 caps a 20-token prompt at 4 new tokens; a full prompt gets none.
        let long = try Sampler(model: m).generate(prompts: [Array(repeating: 1, count: 20), Array(repeating: 2, count: 24)],
                                                  options: SamplingOptions(maxNewTokens: 10), rng: &rng)
        XCTAssertEqual(long.map { $0.tokens.count }, [4, 0])
        XCTAssertEqual(long.map(\.finishReason), [.length, .length])
    }

    func testRejectsBadInput() throws {
        let s = Sampler(model: try model())
        var rng = Xoshiro256(seed: 1)
        XCTAssertThrowsError(try s.generate(prompts: [[]], options: SamplingOptions(maxNewTokens: 2), rng: &rng))
        XCTAssertThrowsError(try s.generate(prompts: [[12]], options: SamplingOptions(maxNewTokens: 2), rng: &rng))
        XCTAssertThrowsError(try s.generate(prompts: [Array(repeating: 1, count: 25)], options: SamplingOptions(maxNewTokens: 2), rng: &rng))
        XCTAssertThrowsError(try s.generate(prompts: [[1]], options: SamplingOptions(temperature: 0, maxNewTokens: 2), rng: &rng))
        XCTAssertThrowsError(try s.generate(prompts: [[1]], options: SamplingOptions(topK: 0, maxNewTokens: 2), rng: &rng))
        XCTAssertEqual(try s.generate(prompts: [], options: SamplingOptions(maxNewTokens: 2), rng: &rng), [])
    }
}
