// Sampling and scoring groups: shapes, determinism, verifier agreement, and that the
// behaviour log-probs a worker ships equal what the learner recomputes (ALGORITHMS.md §1.1).
import XCTest
import Objectives

import Policy
import Tasks
import Tensor
@testable import Rollout

final class GroupSamplerTests: XCTestCase {
    func testGroupsAreScoredAndDeterministic() throws {
        let task = try TaskSpec(parsing: "reverse:digits=4").makeTask()
        let model = try GPT(config: ModelConfig.preset("tiny", vocabSize: task.tokenizer.vocabSize), seed: 3)
        let prompts = (0..<3).map { task.prompt(seed: 1, index: $0, split: .train) }
        let sampler = GroupSampler(task: task, groupSize: 4)
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        let a = try sampler.sample(prompts, model: model, version: 7, rng: &r1)
        let b = try sampler.sample(prompts, model: model, version: 7, rng: &r2)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 3)
        for (g, p) in zip(a, prompts) {
            XCTAssertEqual(g.samples.count, 4)
            XCTAssertEqual(g.version, 7)
            XCTAssertEqual(g.prompt, p.tokens.map(Int32.init))
            for s in g.samples {
                XCTAssertEqual(s.tokens.count, s.logProbs.count)
                XCTAssertLessThanOrEqual(s.tokens.count, task.maxCompletionTokens)
                let v = task.verify(prompt: p, completion: s.tokens.map(Int.init))
                XCTAssertEqual(s.reward, v.reward)
                XCTAssertEqual(s.correct, v.correct)
                XCTAssertEqual(s.finish == .end, s.tokens.last == Int32(task.tokenizer.end))
            }
        }
    }

    func testBehaviourLogProbsMatchTheLearnersRecomputation() throws {
        let task = try TaskSpec(parsing: "reverse").makeTask()
        let model = try GPT(config: ModelConfig.preset("tiny", vocabSize: task.tokenizer.vocabSize), seed: 5)
        let prompts = (0..<4).map { task.prompt(seed: 2, index: $0, split: .train) }
        var rng = Xoshiro256(seed: 1)
        let groups = try GroupSampler(task: task, groupSize: 8).sample(prompts, model: model, version: 0, rng: &rng)
        let batch = try TrainingBatch.assemble(groups, pad: Int32(task.tokenizer.pad), estimator: .grpo)
        let lp = try model.forward(tokens: batch.tokens, batch: batch.count, length: batch.length)
        var worst: Float = 0
        for k in 0..<lp.count where batch.lossMask[k] != 0 { worst = max(worst, abs(lp[k] - batch.behaviourLogProbs[k])) }
        XCTAssertLessThan(worst, 1e-4, "KV-cached sampling log-probs must equal the full forward's")
        XCTAssertGreaterThan(batch.lossMask.reduce(0, +), 0)
    }
}
