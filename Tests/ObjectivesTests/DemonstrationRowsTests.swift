// Batch assembly with demonstration rows (BatchAssembly.swift, PROTOCOL.md §6.5.3): one row per
// group with a reference, holding the prompt without its hint and the reference, loss mask on the
// reference, flagged; re-padding of the sampled rows; advantages per objective; none without one.
import XCTest
import Rollout
@testable import Objectives

final class DemonstrationRowsTests: XCTestCase {
    let pad: Int32 = 15
    /// Group 0: prompt [1, 2] + hint [8], reference [8, 9, 9, 0], samples [9, 0] (reward 1) and [7]
    /// (reward 0). Group 1: prompt [3, 4], no reference, samples [5] and [6, 0] (rewards 0, 1).
    var groups: [RolloutGroup] {
        [RolloutGroup(promptIndex: 0, prompt: [1, 2, 8], version: 4, samples: [
            ScoredSample(tokens: [9, 0], logProbs: [-0.5, -0.25], reward: 1, correct: true, finish: .end),
            ScoredSample(tokens: [7], logProbs: [-1], reward: 0, correct: false, finish: .length),
         ], reference: [8, 9, 9, 0], hint: 1),
         RolloutGroup(promptIndex: 1, prompt: [3, 4], version: 5, samples: [
            ScoredSample(tokens: [5], logProbs: [-2], reward: 0, correct: false, finish: .length),
            ScoredSample(tokens: [6, 0], logProbs: [-0.5, -0.5], reward: 1, correct: true, finish: .end),
         ])]
    }

    func testRowsTokensAndMasks() throws {
        let b = try TrainingBatch.assemble(groups, pad: pad, objective: try .preset("rpo"))
        // Sampled rows are 5 long (3 + 2); the demonstration [1, 2] + [8, 9, 9, 0] is 6.
        XCTAssertEqual(b.count, 5)
        XCTAssertEqual(b.length, 6)
        XCTAssertEqual(b.demonstration, [false, false, false, false, true])
        XCTAssertTrue(b.hasDemonstrations)
        XCTAssertEqual(Array(b.tokens[24..<30]), [1, 2, 8, 9, 9, 0], "prompt without the hint, then the reference")
        XCTAssertEqual(Array(b.lossMask[24..<30]), [0, 0, 1, 1, 1, 1])
        XCTAssertEqual(Array(b.behaviourLogProbs[24..<30]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(b.tokens[0..<6]), [1, 2, 8, 9, 0, pad], "sampled row 0, re-padded")
        XCTAssertEqual(Array(b.lossMask[0..<6]), [0, 0, 0, 1, 1, 0])
        XCTAssertEqual(Array(b.behaviourLogProbs[0..<6]), [0, 0, 0, -0.5, -0.25, 0])
        XCTAssertEqual(Array(b.tokens[18..<24]), [3, 4, 6, 0, pad, pad])
        XCTAssertEqual(b.groupIDs, [0, 0, 1, 1, 0])
        XCTAssertEqual(b.versions, [4, 4, 5, 5, 4])
        XCTAssertEqual(b.correct, [true, false, false, true, false])
        XCTAssertEqual(b.rewards, [1, 0, 0, 1, 1], "r_d = max(1, best sample)")
        // RPO: GRPO's advantages for the samples, 0 for the demonstration.
        let grpo = try TrainingBatch.assemble(groups, pad: pad, estimator: .grpo)
        XCTAssertEqual(Array(b.advantages[0..<4]), grpo.advantages)
        XCTAssertEqual(b.advantages[4], 0)
        XCTAssertEqual(b.sampledMeanReward!, 0.5, accuracy: 1e-12, "the demonstration is not a rollout")
        // The kernel's view carries the flags; a minibatch of rows keeps them.
        XCTAssertEqual(b.tokenBatch.demonstration, [false, false, false, false, true])
        XCTAssertEqual(b.rows([4, 1]).demonstration, [true, false])
        XCTAssertNil(grpo.tokenBatch.demonstration)
    }

    func testHNPGAdvantagesAndPlainObjectives() throws {
        let b = try TrainingBatch.assemble(groups, pad: pad, objective: try .preset("hnpg"))
        // Group 0: rewards 1, 0 and r_d = 1 with w = 1 → √2/2, −√2, √2/2; group 1 (no reference) keeps GRPO's ±1.
        let r = Float(0.5).squareRoot()
        for (i, w) in [r, -2 * r, -1, 1, r].enumerated() { XCTAssertEqual(b.advantages[i], w, accuracy: 1e-5, "row \(i)") }
        // Objectives without demonstrations: the plain layout, whatever the groups carry.
        let plain = try TrainingBatch.assemble(groups, pad: pad, objective: try .preset("grpo"))
        XCTAssertEqual(plain, try TrainingBatch.assemble(groups, pad: pad, estimator: .grpo))
        XCTAssertFalse(plain.hasDemonstrations)
        // No group with a reference: no demonstration row.
        let none = try TrainingBatch.assemble([groups[1]], pad: pad, objective: try .preset("rpo"))
        XCTAssertEqual(none.count, 2)
        XCTAssertFalse(none.hasDemonstrations)
    }
}
