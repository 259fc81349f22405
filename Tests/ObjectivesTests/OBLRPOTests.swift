// OBLR-PO (OBLRPO.swift): the gradient-weighted baseline by hand and in the kernel; the SNR
// learning-rate factor on hand-made gradient vectors and across updates. The trainer applying it:
// TrainingTests' LearningRateScaleTests.
import XCTest
import Foundation
@testable import Objectives

final class OBLRPOTests: XCTestCase {
    func testGradientWeightedBaselineByHand() throws {
        // Group of 3: rewards 1, 0, 0 with weights 3, 1, 0 → b = 3/4; std = √(2/9).
        let out = oblrAdvantages(rewards: [1, 0, 0, 1, 1], groupIDs: [0, 0, 0, 1, 1], weights: [3, 1, 0, 5, 5], epsStd: 0)
        let std = (2.0 / 9).squareRoot()
        XCTAssertEqual(out.advantages[0], 0.25 / std, accuracy: 1e-12)
        XCTAssertEqual(out.advantages[1], -0.75 / std, accuracy: 1e-12)
        XCTAssertEqual(out.advantages[2], -0.75 / std, accuracy: 1e-12)
        XCTAssertEqual(Array(out.advantages[3...]), [0, 0], "no reward variance")
        XCTAssertEqual(out.baselineShift, abs(0.75 - 1.0 / 3), accuracy: 1e-12)
        // Equal weights: GRPO's z-score.
        let even = oblrAdvantages(rewards: [1, 0], groupIDs: [0, 0], weights: [2, 2], epsStd: 0)
        XCTAssertEqual(even.advantages, [1, -1])
        // The weights from log-probs: w = Σ (1 − p)² over loss tokens.
        let w = oblrWeights(detachedLogProbs: [0, log(0.5), log(0.25), 0], mask: [0, 1, 1, 1], count: 1, length: 4)
        XCTAssertEqual(w[0], 0.25 + 0.5625 + 0, accuracy: 1e-6)
    }

    func testOBLRInTheKernel() throws {
        var cfg = try ObjectiveConfig.preset("oblr-po")
        cfg.bound = .none
        // Two one-token completions: the correct one confident (p = 0.9), the wrong one not (p = 0.2).
        let lp: [Float] = [log(0.9), log(0.2)]
        var b = TokenBatch(count: 2, length: 1, behaviourLogProbs: lp, mask: [1, 1], advantages: [1, -1])
        b.rewards = [1, 0]; b.groupIDs = [0, 0]
        let res = try objectiveLoss(cfg, state: ObjectiveState(config: cfg), batch: b, logProbs: lp)
        let w = [pow(1 - Double(Float(0.9)), 2), pow(1 - Double(Float(0.2)), 2)]
        let base = w[0] / (w[0] + w[1])
        let a = [(1 - base) / (0.5 + 1e-6), (0 - base) / (0.5 + 1e-6)]
        for i in 0..<2 { XCTAssertEqual(Double(res.dLogProbs[i]), -a[i] / 2, accuracy: 1e-5, "sequence \(i)") }
        XCTAssertEqual(res.metrics.oblrBaselineShift!, abs(base - 0.5), accuracy: 1e-6)
    }

    /// g₁ = (1, 2), g₂ = (3, 2): ḡ = (2, 2), ‖ḡ‖² = 8, σ̂² = (1 + 1)/(2 − 1) = 2, signal = 8 − 2/2 = 7,
    /// SNR = 3.5, factor 3.5/4.5.
    func testSNROnHandMadeGradients() throws {
        var m = GradientMoments(parameters: 2)
        XCTAssertNil(m.snr)
        m.add([1, 2])
        XCTAssertNil(m.snr, "one gradient: no noise estimate")
        m.add([3, 2])
        XCTAssertEqual(m.count, 2)
        XCTAssertEqual(m.snr!, 3.5, accuracy: 1e-12)
        XCTAssertEqual(oblrLearningRateScale(snr: 3.5, minimum: 0.1), 3.5 / 4.5, accuracy: 1e-12)
        // Pure noise: (1, 0), (−1, 0), (0, 0): ḡ = 0, σ̂² = 2/2 = 1, signal max(0, 0 − 1/3) = 0 → the floor.
        var noise = GradientMoments(parameters: 2)
        for g: [Float] in [[1, 0], [-1, 0], [0, 0]] { noise.add(g) }
        XCTAssertEqual(noise.snr, 0)
        XCTAssertEqual(oblrLearningRateScale(snr: 0, minimum: 0.1), 0.1)
        XCTAssertEqual(oblrLearningRateScale(snr: 0.25, minimum: 0.1), 0.2, accuracy: 1e-12)
        XCTAssertEqual(oblrLearningRateScale(snr: .infinity, minimum: 0.1), 1)
        // Equal gradients: no noise to measure.
        var same = GradientMoments(parameters: 2)
        same.add([1, 1]); same.add([1, 1])
        XCTAssertNil(same.snr)
    }

    /// The preset scales the learning rate from the SNR EMA: 1 before any estimate, then
    /// clamp(S/(1 + S), 0.1, 1) with S ← 0.9·S + 0.1·SNR.
    func testLearningRateFactorAcrossUpdates() throws {
        let cfg = try ObjectiveConfig.preset("oblr-po")
        XCTAssertEqual(cfg.oblrLR, .snr)
        XCTAssertTrue(cfg.needsGradientMoments)
        var state = ObjectiveState(config: cfg)
        var s = cfg.learningRateScale(state: state, meanReward: 0.5)
        XCTAssertEqual(s.value, 1); XCTAssertEqual(s.oblrScale, 1); XCTAssertNil(s.oblrSNR); XCTAssertNil(s.pipoScale)
        state.update(afterUpdate: UpdateObservation(meanReward: 0.5, gradientSNR: 3.5), config: cfg)
        XCTAssertEqual(state.oblrSNR, 3.5)
        s = cfg.learningRateScale(state: state, meanReward: nil)
        XCTAssertEqual(s.value, 3.5 / 4.5, accuracy: 1e-12)
        state.update(afterUpdate: UpdateObservation(gradientSNR: 1), config: cfg)
        let beta = Double(Float(0.9)), ema = beta * 3.5 + (1 - beta) * 1   // 3.25 with β as the Float setting
        XCTAssertEqual(ema, 3.25, accuracy: 1e-6)
        XCTAssertEqual(state.oblrSNR!, ema, accuracy: 1e-12)
        state.update(afterUpdate: UpdateObservation(), config: cfg)   // no estimate: unchanged
        XCTAssertEqual(state.oblrSNR!, ema, accuracy: 1e-12)
        s = cfg.learningRateScale(state: state, meanReward: nil)
        XCTAssertEqual(s.value, ema / (1 + ema), accuracy: 1e-12)
        var m = ObjectiveMetrics()
        s.fill(&m)
        XCTAssertEqual(m.oblrSNR!, ema, accuracy: 1e-12)
        XCTAssertEqual(m.lrScale!, ema / (1 + ema), accuracy: 1e-12)
        XCTAssertEqual(m.oblrLRScale, m.lrScale)
        // The floor holds a noisy run at s_min·lr.
        state.oblrSNR = 0.01
        XCTAssertEqual(cfg.learningRateScale(state: state, meanReward: nil).value, Double(Float(0.1)), accuracy: 1e-12)
        // The rule alone on GRPO: the kernel's gradient is GRPO's, only the learning rate changes.
        let plain = try ObjectiveConfig.parse(name: "grpo", overrides: ["oblr_lr": "snr"])
        XCTAssertTrue(plain.isRowSeparable)
        let (batch, lp) = randomBatch(seed: 12)
        XCTAssertEqual(try surrogateLoss(plain, batch: batch, logProbs: lp).dLogProbs,
                       try surrogateLoss(try .preset("grpo"), batch: batch, logProbs: lp).dLogProbs)
        XCTAssertFalse(try ObjectiveConfig.preset("grpo").needsGradientMoments)
        XCTAssertEqual(try ObjectiveConfig.preset("grpo").learningRateScale(state: state, meanReward: 1), LearningRateScale())
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "oblr-po", overrides: ["oblr_lr_min": "0"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "oblr-po", overrides: ["oblr_snr_ema": "1"]))
    }
}
