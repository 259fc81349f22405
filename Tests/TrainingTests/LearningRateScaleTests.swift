// The objective's learning-rate factor in `PolicyTrainer.update` (ObjectiveState.swift's
// `LearningRateScale`): OBLR-PO's SNR rule and PIPO's feedback change the learning rate AdamW steps
// with by exactly the factor, the SNR the trainer records is the one of its minibatch gradients,
// and OBLR-PO's rule is refused with one minibatch.

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class LearningRateScaleTests: XCTestCase {
    private let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
    private let (N, S) = (4, 8)

    /// Four rows; with one epoch of two minibatches (shuffle seed 3) the first minibatch's rows form
    /// a group with rewards 1, 0 and the second's a group with rewards 1, 1 (advantages 0, skipped),
    /// so the update is exactly one AdamW step. Mean reward 0.75.
    private func batch(_ model: GPT) throws -> TrainingBatch {
        var rng = Xoshiro256(seed: 21)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 3..<S { mask[i * S + t] = 1 } }
        let plan = PolicyTrainer.schedule(count: N, epochs: 1, minibatches: 2, shuffleSeed: 3)
        var rewards = [Float](repeating: 1, count: N), ids = [Int32](repeating: 1, count: N)
        rewards[plan[0][1]] = 0
        for r in plan[0] { ids[r] = 0 }
        let adv = try AdvantageEstimator.grpo.advantages(rewards: rewards, groupIDs: ids)
        return TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: (0..<(N * S)).map { mask[$0] * lp0[$0] },
                             rewards: rewards, advantages: adv, groupIDs: ids, versions: Array(repeating: 0, count: N),
                             correct: rewards.map { $0 > 0 })
    }

    /// The parameter change of one update with `objective` from the same initial weights.
    private func step(_ objective: ObjectiveConfig, state: (inout ObjectiveState) -> Void = { _ in }) throws
        -> (delta: [Float], stats: UpdateStats, trainer: PolicyTrainer) {
        let model = try GPT(config: cfg, seed: 5)
        let b = try batch(model)
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(
            epochs: 1, minibatches: 2, optimizer: AdamWConfig(learningRate: 1e-2, weightDecay: 0.01, decay: .all), objective: objective))
        state(&trainer.objectiveState)
        let before = Array(model.params.buffer)
        let st = try trainer.update(b, learnerVersion: 0, shuffleSeed: 3)
        XCTAssertEqual(st.optimizerSteps, 1)
        return (zip(model.params.buffer, before).map { $0 - $1 }, st, trainer)
    }

    /// Every moved weight moved by the factor times its move at the configured learning rate.
    private func assertScaled(_ d: [Float], _ base: [Float], by f: Double, file: StaticString = #filePath, line: UInt = #line) {
        var checked = 0
        for (a, b) in zip(d, base) where abs(b) > 1e-4 {
            XCTAssertEqual(Double(a / b), f, accuracy: 2e-3, file: file, line: line)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 100, file: file, line: line)
    }

    func testTheStepRunsAtTheScaledLearningRate() throws {
        let base = try step(try .preset("grpo"))
        XCTAssertNil(base.stats.learningRateScale)
        XCTAssertNil(base.stats.metrics?.lrScale)

        // OBLR-PO's rule with an SNR EMA of 1: factor 1/(1 + 1) = 0.5. One gradient: no new estimate.
        let snr = try ObjectiveConfig.parse(name: "grpo", overrides: ["oblr_lr": "snr"])
        let o = try step(snr) { $0.oblrSNR = 1 }
        XCTAssertEqual(o.stats.learningRateScale, 0.5)
        XCTAssertEqual(o.stats.metrics?.lrScale, 0.5)
        XCTAssertEqual(o.stats.metrics?.oblrSNR, 1)
        assertScaled(o.delta, base.delta, by: 0.5)
        XCTAssertEqual(o.trainer.objectiveState.oblrSNR, 1)
        XCTAssertEqual(o.trainer.optimizer.config.learningRate, 1e-2, "the configured learning rate is untouched")

        // PIPO with the window 0.2, 0.4 and this batch's mean reward 0.75: Δ = 0.45, σ = 0.1.
        let p = try step(try .preset("pipo")) { $0.pipoHistory = [0.2, 0.4] }
        let f = pipoScale(meanReward: 0.75, history: [0.2, 0.4], beta: 0.5)
        XCTAssertEqual(f.scale, 1 + 0.5 * tanh(0.45 / (0.1 + 1e-6)), accuracy: 1e-9)
        XCTAssertEqual(p.stats.learningRateScale!, f.scale, accuracy: 1e-12)
        XCTAssertEqual(p.stats.metrics?.pipoDelta ?? 0, 0.45, accuracy: 1e-9)
        assertScaled(p.delta, base.delta, by: f.scale)
        XCTAssertEqual(p.trainer.objectiveState.pipoHistory ?? [], [0.2, 0.4, 0.75])
    }

    /// With the learning rate at 0 the weights stay put, so the SNR the trainer records after an
    /// update is the one of the minibatch gradients at the initial weights, recomputed here.
    func testRecordedSNRIsTheMinibatchGradientsOne() throws {
        let model = try GPT(config: cfg, seed: 5)
        var b = try batch(model)
        b.rewards = [1, 0, 1, 0]; b.groupIDs = [0, 0, 1, 1]
        b.advantages = try AdvantageEstimator.grpo.advantages(rewards: b.rewards, groupIDs: b.groupIDs)
        // GRPO's advantages with the rule alone (OBLR-PO's baseline would zero the advantages of
        // groups a minibatch holds only one member of).
        let objective = try ObjectiveConfig.parse(name: "grpo", overrides: ["oblr_lr": "snr"])
        let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(
            epochs: 1, minibatches: 2, optimizer: AdamWConfig(learningRate: 0), objective: objective))
        let st = try trainer.update(b, learnerVersion: 0, shuffleSeed: 9)
        XCTAssertEqual(st.optimizerSteps, 2)
        XCTAssertEqual(st.learningRateScale, 1, "no estimate before the first update")
        var m = GradientMoments(parameters: model.layout.count)
        for rows in PolicyTrainer.schedule(count: N, epochs: 1, minibatches: 2, shuffleSeed: 9) {
            _ = try trainer.gradient(of: b.rows(rows), learnerVersion: 0)
            m.add(Array(model.grads.buffer))
        }
        let want = try XCTUnwrap(m.snr)
        let got = try XCTUnwrap(trainer.objectiveState.oblrSNR)
        XCTAssertEqual(got, want, accuracy: 1e-6 * max(1, want))
        let next = objective.learningRateScale(state: trainer.objectiveState, meanReward: 0.5)
        XCTAssertEqual(next.value, min(1, max(Double(Float(0.1)), want / (1 + want))), accuracy: 1e-12)
    }

    func testOneMinibatchIsRefusedForTheSNRRule() throws {
        let model = try GPT(config: cfg, seed: 5)
        let settings = UpdateSettings(epochs: 2, minibatches: 1, optimizer: AdamWConfig(), objective: try .preset("oblr-po"))
        XCTAssertThrowsError(try PolicyTrainer(model: model, settings: settings)) { e in
            guard case let .trainerUnsupported(key, value, reason)? = e as? ObjectiveError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "oblr_lr"); XCTAssertEqual(value, "snr")
            XCTAssertTrue(reason.contains("at least 2 minibatches"), reason)
        }
        var constant = settings
        constant.objective.oblrLR = .constant
        XCTAssertNoThrow(try PolicyTrainer(model: model, settings: constant))
    }
}
