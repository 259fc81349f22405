// GHPO guidance on the rollout side (Sources/Rollout/Guidance.swift): the hint lengths of the
// stages, hinted groups (prompt + answer prefix, the verifier judging hint + completion, the
// completion budget), and the stages themselves on a policy that samples uniformly, where a hint
// measurably raises the chance of a correct sample.
import XCTest
import Foundation

import Policy
import Tasks
import Tensor
@testable import Rollout

final class GuidanceTests: XCTestCase {
    func testHintLengthsGrowWithTheStageAndLeaveTheLastTokenToTheModel() {
        // ⌊k/(n+1)·L⌋, at least 1, at most L − 1.
        XCTAssertEqual((1...3).map { GroupSampler.hintLength(stage: $0, of: 3, answerLength: 6) }, [1, 3, 4])
        XCTAssertEqual((1...3).map { GroupSampler.hintLength(stage: $0, of: 3, answerLength: 12) }, [3, 6, 9])
        XCTAssertEqual((1...3).map { GroupSampler.hintLength(stage: $0, of: 3, answerLength: 2) }, [1, 1, 1])
        XCTAssertEqual(GroupSampler.hintLength(stage: 1, of: 1, answerLength: 1), 0, "a one-token answer has no hint")
        XCTAssertEqual(GroupSampler.hintLength(stage: 0, of: 3, answerLength: 6), 0)
    }

    /// A GPT whose parameters are all zero: every logit is 0, so it samples uniformly.
    func uniformModel(vocab: Int) throws -> GPT {
        let m = try GPT(config: ModelConfig.preset("tiny", vocabSize: vocab), seed: 1)
        m.params.base.update(repeating: 0, count: m.layout.count)
        return m
    }

    func testAHintedGroupContinuesTheAnswerAndIsJudgedWithItsHint() throws {
        let task = try TaskSpec(parsing: "reverse:digits=4").makeTask()
        let model = try uniformModel(vocab: task.tokenizer.vocabSize)
        let prompts = (0..<3).map { task.prompt(seed: 5, index: $0, split: .train) }
        var rng = Xoshiro256(seed: 2)
        let groups = try GroupSampler(task: task, groupSize: 6).sample(prompts, hints: [0, 2, 3], model: model, version: 4, rng: &rng)
        for (g, (p, h)) in zip(groups, zip(prompts, [0, 2, 3])) {
            XCTAssertEqual(g.hint, h)
            XCTAssertEqual(g.basePrompt, p.tokens.map(Int32.init))
            XCTAssertEqual(g.prompt, (p.tokens + p.answerTokens.prefix(h)).map(Int32.init))
            XCTAssertEqual(g.reference, (p.answerTokens + [task.tokenizer.end]).map(Int32.init))
            for (i, s) in g.samples.enumerated() {
                XCTAssertLessThanOrEqual(s.tokens.count, task.maxCompletionTokens - h, "the hint shortens the budget")
                XCTAssertEqual(g.judgedTokens(of: i), (p.answerTokens.prefix(h)).map(Int32.init) + s.tokens)
                let v = task.verify(prompt: p, completion: g.judgedTokens(of: i).map(Int.init))
                XCTAssertEqual(s.reward, v.reward); XCTAssertEqual(s.correct, v.correct)
            }
        }
    }

    func testAReferenceLongerThanACompletionIsLeftOut() throws {
        // A JSONL task whose max_new_tokens is below its longest answer: that row's demonstration
        // could never be a sample, so the group carries no reference (the learner would refuse it).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("guidance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rows.jsonl")
        try Data((0..<40).map { i in "{\"prompt\": \"q\(i)\", \"answer\": \"\(i % 2 == 0 ? "ab" : "abcdefgh")\"}\n" }.joined().utf8).write(to: file)
        let task = try TaskSpec(parsing: "jsonl:path=\(file.path),max_new_tokens=4").makeTask()
        let sampler = GroupSampler(task: task, groupSize: 2)
        var short = 0, long = 0
        for i in 0..<20 {
            let p = task.prompt(seed: 0, index: i, split: .train)
            let r = sampler.reference(for: p)
            if p.answer.count <= 3 { short += 1; XCTAssertEqual(r, task.demonstration(for: p).map(Int32.init)) } else { long += 1; XCTAssertEqual(r, []) }
        }
        XCTAssertGreaterThan(short, 0); XCTAssertGreaterThan(long, 0)
    }

    func testStagesHintTheGroupsTheModelCannotSolveAndOnlyThose() throws {
        // Uniform over 14 tokens, a 2-digit answer: a plain sample is correct with p = 14⁻³, a sample
        // after a one-token hint with p = 14⁻² (about 1 in 196), so with G = 128 most groups are
        // solved at stage 1 and almost none without a hint.
        let task = try TaskSpec(parsing: "reverse:digits=2").makeTask()
        let model = try uniformModel(vocab: task.tokenizer.vocabSize)
        let prompts = (0..<12).map { task.prompt(seed: 3, index: $0, split: .train) }
        var sampler = GroupSampler(task: task, groupSize: 128)
        var plainRNG = Xoshiro256(seed: 8)
        let plain = try sampler.sample(prompts, model: model, version: 0, rng: &plainRNG)
        sampler.ghpoStages = 2
        var rng = Xoshiro256(seed: 8)
        let (guided, completions) = try sampler.sampleCounted(prompts, model: model, version: 0, rng: &rng)
        XCTAssertEqual(plain.map(\.hint), Array(repeating: 0, count: 12))
        var hinted = 0, stageCompletions = 0
        for (i, (g, p)) in zip(guided, prompts).enumerated() {
            let solvedPlain = plain[i].samples.contains(where: \.correct)
            XCTAssertEqual(solvedPlain, g.hint == 0 && g.samples.contains(where: \.correct), "same rng: the plain pass is the same")
            if g.hint > 0 {
                hinted += 1
                XCTAssertTrue(g.samples.contains(where: \.correct), "a group keeps its hint only when the hint let it be solved")
                XCTAssertEqual(g.prompt, (p.tokens + p.answerTokens.prefix(g.hint)).map(Int32.init))
            } else if !solvedPlain {
                XCTAssertFalse(g.samples.contains(where: \.correct), "unsolved after every stage: kept as sampled")
            }
            if !solvedPlain { stageCompletions += 128 }     // stage 1 resampled it at least
        }
        XCTAssertGreaterThanOrEqual(hinted, 6, "a one-token hint solves most groups at G = 128 (p ≈ 0.48 each)")
        XCTAssertGreaterThanOrEqual(completions, 12 * 128 + stageCompletions, "the stages' completions are counted")
    }
}
