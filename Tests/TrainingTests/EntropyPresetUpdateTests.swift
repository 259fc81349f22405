// Every preset added with the entropy gradient (epo, empg, safe, dcpo, grpo-guard,
// calibration-po, oblr-po) and after it (adora, pipo) runs through `PolicyTrainer.update` on a tiny model: the update steps,
// the loss is finite, the weights move, the objective's cross-step state advances, and the
// state survives a JSON round trip (it is saved in trainer_state.json).

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class EntropyPresetUpdateTests: XCTestCase {
    func testNewPresetsUpdateAndAdvanceTheirState() throws {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        for preset in ["epo", "empg", "safe", "dcpo", "grpo-guard", "calibration-po", "oblr-po", "adora", "pipo"] {
            let model = try GPT(config: cfg, seed: 5)
            let objective = try ObjectiveConfig.preset(preset)
            let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(
                optimizer: AdamWConfig(learningRate: 1e-2), objective: objective))
            var rng = Xoshiro256(seed: 21)
            let (N, S) = (8, 8)
            let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
            let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
            var mask = [Float](repeating: 0, count: N * S)
            for i in 0..<N { for t in 3..<S { mask[i * S + t] = 1 } }
            let beh = (0..<(N * S)).map { mask[$0] * lp0[$0] }
            let rewards: [Float] = [1, 0, 0, 1, 1, 0, 1, 1]
            let ids = (0..<N).map { Int32($0 / 4) }
            let adv = try AdvantageEstimator.grpo.advantages(rewards: rewards, groupIDs: ids)
            let batch = TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: beh,
                                      rewards: rewards, advantages: adv, groupIDs: ids,
                                      versions: Array(repeating: 0, count: N), correct: rewards.map { $0 > 0 })
            let before = Array(model.params.buffer)
            for step in 0..<2 {
                let st = try trainer.update(batch, learnerVersion: PolicyVersion(UInt64(step)), shuffleSeed: UInt64(step))
                XCTAssertGreaterThan(st.optimizerSteps, 0, preset)
                XCTAssertTrue(st.meanLoss.isFinite, preset)
            }
            XCTAssertNotEqual(Array(model.params.buffer), before, "\(preset): the weights moved")
            let state = trainer.objectiveState
            XCTAssertGreaterThan(state.step, 1, preset)
            switch preset {
            case "epo": XCTAssertNotNil(state.entropyHistory, preset)
            case "dcpo": XCTAssertNotNil(state.initialEntropy, preset)
            case "safe": XCTAssertEqual(state.safe?.rewards.count, state.step, preset)
            case "oblr-po": XCTAssertNotNil(state.oblrSNR, preset)
            case "adora": XCTAssertNotNil(state.adoraAdvantageousRate, preset)
            case "pipo": XCTAssertEqual(state.pipoHistory ?? [], [0.625, 0.625], preset)
            default: break
            }
            let back = try JSONDecoder().decode(ObjectiveState.self, from: JSONEncoder().encode(state))
            XCTAssertEqual(back, state, preset)
        }
    }

    /// With CAPO the trainer hands the kernel the policy's exact curvature, not the approximation:
    /// at every threshold its mask is the exact-curvature one, and at some threshold that differs
    /// from the two-outcome proxy's.
    func testCAPOGetsTheExactCurvature() throws {
        let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)
        let model = try GPT(config: cfg, seed: 5)
        // Peaked distributions, so token curvatures differ and the mask has something to select.
        var wrng = Xoshiro256(seed: 12)
        for t in model.layout.tensors where !t.name.contains("ln_") {
            try model.setParameter(t.name, (0..<t.count).map { _ in 0.6 * wrng.nextGaussian() })
        }
        var rng = Xoshiro256(seed: 4)
        let (N, S) = (4, 8)
        let tokens = (0..<(N * S)).map { _ in Int32(rng.next() % 12) }
        let lp0 = try model.forward(tokens: tokens, batch: N, length: S)
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 3..<S { mask[i * S + t] = 1 } }
        let batch = TrainingBatch(count: N, length: S, tokens: tokens, lossMask: mask, behaviourLogProbs: (0..<(N * S)).map { mask[$0] * lp0[$0] },
                                  rewards: [1, 0, 1, 0], advantages: [1, -1, 1, -1], groupIDs: [0, 0, 1, 1],
                                  versions: [0, 0, 0, 0], correct: [true, false, true, false])
        var differs = false
        for threshold: Float in [0.6, 0.8, 1.0, 1.2, 1.5, 2] {
            var objective = try ObjectiveConfig.preset("capo")
            objective.capoThreshold = threshold
            let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(optimizer: AdamWConfig(learningRate: 0), objective: objective))
            let res = try trainer.lossAndGradient(batch, learnerVersion: 0)
            XCTAssertFalse(model.tracksCurvature, "tracking is on for the loss's forward passes only")
            var tb = batch.tokenBatch(learnerVersion: 0)
            model.tracksCurvature = true
            let lp = try model.forward(tokens: tokens, batch: N, length: S)
            model.tracksCurvature = false
            tb.entropy = model.entropies(); tb.curvature = model.curvatures()
            XCTAssertEqual(tb.curvature?.count, N * S)
            let exact = try objectiveLoss(objective, state: trainer.objectiveState, batch: tb, logProbs: lp)
            XCTAssertEqual(res.effectiveMask, exact.effectiveMask, "threshold \(threshold)")
            tb.curvature = nil
            let approx = try objectiveLoss(objective, state: trainer.objectiveState, batch: tb, logProbs: lp)
            if approx.effectiveMask != exact.effectiveMask { differs = true }
        }
        XCTAssertTrue(differs, "the proxy and the exact curvature select differently at some threshold")
    }
}
