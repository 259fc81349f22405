// The one training step's rules on hand-made groups: the version goes up exactly when the
// update changed the weights; staleness is the learner's version minus the behaviour version,
// averaged per group, and the same figure whichever loop's arrangement carries the groups;
// the refill rule (BatchFill) says full, need more or give up; a JSON value keeps 64-bit
// integers through TrainerState.

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tasks
import Tensor
@testable import Training

final class TrainingStepTests: XCTestCase {
    private let task = try! TaskSpec(parsing: "add").makeTask()

    /// A group for training prompt `index`, sampled at `version`, with one sample per reward.
    private func group(_ index: Int, version: PolicyVersion, rewards: [Float]) -> RolloutGroup {
        let p = task.prompt(seed: 7, index: index, split: .train)
        return RolloutGroup(promptIndex: index, prompt: p.tokens.map(Int32.init), version: version, samples: rewards.map { r in
            ScoredSample(tokens: [3, 4, Int32(task.tokenizer.end)], logProbs: [-0.7, -0.7, -0.7], reward: r, correct: r > 0, finish: .end)
        })
    }

    private func trainer() throws -> PolicyTrainer {
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2)
        return try PolicyTrainer(model: try GPT(config: cfg, seed: 3), settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 1e-3)))
    }

    func testTheVersionGoesUpExactlyWhenTheWeightsChange() throws {
        let t = try trainer()
        var health = LearningHealth()
        let before = Array(t.model.params.buffer)
        let flat = try TrainingStep.run(StepGroups(fresh: [group(0, version: 4, rewards: [1, 1]), group(1, version: 4, rewards: [0, 0])]),
                                        trainer: t, step: 9, version: 4, seed: 1, tokenizer: task.tokenizer, dumpTo: nil, health: &health)
        XCTAssertEqual(flat.update.optimizerSteps, 0)
        XCTAssertFalse(flat.updated)
        XCTAssertEqual(flat.version, 4, "no optimizer step: same weights, same version")
        XCTAssertEqual(flat.step, 10)
        XCTAssertEqual(Array(t.model.params.buffer), before)
        XCTAssertEqual(health.batchesWithoutSignal, 1)
        XCTAssertNil(flat.throughput.tokensPerSecond)

        let moved = try TrainingStep.run(StepGroups(fresh: [group(2, version: 4, rewards: [1, 0]), group(3, version: 4, rewards: [0, 0])]),
                                         trainer: t, step: 10, version: 4, seed: 1, tokenizer: task.tokenizer, dumpTo: nil, health: &health)
        XCTAssertGreaterThan(moved.update.optimizerSteps, 0)
        XCTAssertEqual(moved.version, 5)
        XCTAssertEqual(moved.trainedAt, 4)
        XCTAssertNotEqual(Array(t.model.params.buffer), before)
        XCTAssertEqual(health.batchesWithoutSignal, 0)
        XCTAssertEqual(moved.zeroVarianceGroups, 0.5)
        XCTAssertEqual(moved.reward, 0.25)
        XCTAssertEqual(TrainingStep.newVersion(after: 7, update: UpdateStats()), 7)
    }

    /// Per group, not per sample: a group of 2 samples 1 version behind and one of 4 samples
    /// 4 behind are 2.5 behind on average (per sample it would be 3).
    func testStalenessIsPerGroupAndTheSameInBothLoopsArrangements() throws {
        let a = group(0, version: 4, rewards: [1, 0]), b = group(1, version: 1, rewards: [1, 0, 0, 1])
        XCTAssertEqual(TrainingStep.staleness(of: b, learnerVersion: 5), 4)
        XCTAssertEqual(TrainingStep.meanStaleness([a, b], learnerVersion: 5), 2.5)
        XCTAssertEqual(TrainingStep.meanStaleness([], learnerVersion: 5), 0)
        // The daemon hands the groups over as fresh; the sync loop with replay as replayed + fresh.
        var h1 = LearningHealth(), h2 = LearningHealth()
        let daemon = try TrainingStep.run(StepGroups(fresh: [a, b]), trainer: try trainer(), step: 0, version: 5, seed: 2,
                                          tokenizer: task.tokenizer, dumpTo: nil, health: &h1)
        let sync = try TrainingStep.run(StepGroups(fresh: [b], replayed: [a]), trainer: try trainer(), step: 0, version: 5, seed: 2,
                                        tokenizer: task.tokenizer, dumpTo: nil, health: &h2)
        XCTAssertEqual(daemon.meanStaleness, 2.5)
        XCTAssertEqual(sync.meanStaleness, 2.5)
        XCTAssertEqual(daemon.version, sync.version)
        XCTAssertEqual(daemon.update.optimizerSteps, sync.update.optimizerSteps)
        XCTAssertEqual(daemon.throughput.trainedTokens, sync.throughput.trainedTokens)
    }

    func testTheRefillRuleSaysFullNeedMoreOrGiveUp() {
        var fill = BatchFill<Int>(count: 2, dynamicSampling: true, noSignalBatches: 2)
        XCTAssertEqual(fill.giveUpAfter, 4)
        XCTAssertEqual(fill.wanted, 2)
        XCTAssertEqual(fill.offer(1, hasSignal: false), .needMore)
        XCTAssertEqual(fill.offer(2, hasSignal: true), .needMore)
        XCTAssertEqual(fill.wanted, 1)
        XCTAssertEqual(fill.offer(3, hasSignal: false), .needMore)
        XCTAssertEqual(fill.offer(4, hasSignal: false), .needMore)
        XCTAssertEqual(fill.offer(5, hasSignal: false), .needMore, "a batch with a group of signal never gives up")
        XCTAssertEqual(fill.offer(6, hasSignal: true), .full)
        XCTAssertEqual(fill.batch, [2, 6])
        XCTAssertEqual(fill.filtered, [1, 3, 4, 5])
        XCTAssertEqual(fill.wanted, 0)

        var none = BatchFill<Int>(count: 2, dynamicSampling: true, noSignalBatches: 2)
        for k in 0..<3 { XCTAssertEqual(none.offer(k, hasSignal: false), .needMore) }
        XCTAssertEqual(none.wanted, 1, "never more than the groups left before giving up")
        XCTAssertEqual(none.offer(3, hasSignal: false), .gaveUp)
        XCTAssertEqual(none.filtered.count, 4)

        var never = BatchFill<Int>(count: 1, dynamicSampling: true, noSignalBatches: 0)
        for k in 0..<100 { XCTAssertEqual(never.offer(k, hasSignal: false), .needMore) }

        var plain = BatchFill<Int>(count: 2, dynamicSampling: false, noSignalBatches: 2)
        XCTAssertEqual(plain.giveUpAfter, 0)
        XCTAssertEqual(plain.offer(1, hasSignal: false), .needMore)
        XCTAssertEqual(plain.offer(2, hasSignal: false), .full, "without dynamic sampling every group is trained")
        XCTAssertEqual(plain.filtered, [])

        XCTAssertTrue(group(0, version: 0, rewards: [0, 0.5]).hasSignal)
        XCTAssertFalse(group(0, version: 0, rewards: [1, 1]).hasSignal)
        XCTAssertFalse(rewardsHaveSignal([Float]()))
    }

    func testNoSignalRoundsAreRecordedPerBatch() {
        var health = LearningHealth(settings: HealthSettings(noSignalBatches: 3, collapseDrop: 0))
        let groups = (0..<6).map { group($0, version: 0, rewards: [0, 0]) }
        XCTAssertNil(TrainingStep.recordNoSignalRound(groups, batchSize: 3, step: 0, health: &health))
        XCTAssertEqual(health.batchesWithoutSignal, 2)
        let p = TrainingStep.recordNoSignalRound(Array(groups.prefix(3)), batchSize: 3, step: 0, health: &health)
        XCTAssertEqual(p?.kind, .noSignal)
        XCTAssertTrue(health.shouldStop)
    }

    func testTrainerStateKeepsTheDaemonsStateAsJSON() throws {
        struct Daemon: Codable, Equatable { var walNext: UInt64; var step: Int; var rate: Double; var names: [String]; var none: Int? }
        let d = Daemon(walNext: .max, step: -3, rate: 0.1, names: ["a"], none: nil)
        var st = TrainerState(phase: "learner", task: task.spec, preset: "tiny", seed: 1)
        st.learnerState = try JSONValue(encoding: d)
        let data = try st.encoded()
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"learner\""))
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("18446744073709551615"))
        let back = try TrainerState.decode(data, path: "test")
        XCTAssertEqual(back, st)
        XCTAssertEqual(try back.learnerState?.decode(Daemon.self), d)
        XCTAssertNil(try TrainerState.decode(try TrainerState(phase: "train", task: task.spec, preset: "tiny", seed: 1).encoded(), path: "t").learnerState)
    }
}
