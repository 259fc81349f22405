// GRPO, the default objective (GRPO.swift): group z-score advantages (§1.3), the PPO clip and
// clip-higher on the token ratio (§4.1, §4.6), the aggregation modes (§1.4), the k3 KL to the
// reference (§1.5, §4.3), and the kernel's input checks.
import XCTest
import Foundation
@testable import Objectives

final class GRPOTests: XCTestCase {
    /// One sequence, one token, advantage `a`, ratio `r` (log μ = 0, log π = log r).
    private func single(_ cfg: ObjectiveConfig, r: Float, a: Float) throws -> ObjectiveResult {
        let batch = TokenBatch(count: 1, length: 1, behaviourLogProbs: [0], mask: [1], advantages: [a])
        return try surrogateLoss(cfg, batch: batch, logProbs: [log(r)])
    }

    func testInsideWindowGradientIsMinusAR() throws {
        let res = try single(ObjectiveConfig(), r: 1.1, a: 2)
        XCTAssertEqual(res.loss, -2.2, accuracy: 1e-5)
        XCTAssertEqual(res.dLogProbs[0], -2.2, accuracy: 1e-5)
        XCTAssertEqual(res.metrics.clipFractionHigh, 0)
    }

    func testPositiveAdvantageAboveWindowIsClipped() throws {
        let res = try single(ObjectiveConfig(), r: 1.5, a: 1)
        XCTAssertEqual(res.loss, -1.2, accuracy: 1e-5)      // clip(1.5) = 1.2
        XCTAssertEqual(res.dLogProbs[0], 0)                  // no gradient past the window
        XCTAssertEqual(res.metrics.clipFractionHigh, 1)
    }

    func testPositiveAdvantageBelowWindowKeepsGradient() throws {
        // r = 0.5 < 0.8 with Â > 0: min(0.5, 0.8) = 0.5 → unclipped active
        let res = try single(ObjectiveConfig(), r: 0.5, a: 1)
        XCTAssertEqual(res.loss, -0.5, accuracy: 1e-6)
        XCTAssertEqual(res.dLogProbs[0], -0.5, accuracy: 1e-6)
    }

    func testNegativeAdvantageBelowWindowIsClipped() throws {
        let res = try single(ObjectiveConfig(), r: 0.5, a: -1)
        XCTAssertEqual(res.loss, 0.8, accuracy: 1e-6)       // −min(−0.5, −0.8) = 0.8
        XCTAssertEqual(res.dLogProbs[0], 0)
        XCTAssertEqual(res.metrics.clipFractionLow, 1)
    }

    func testClipHigherWidensUpperBoundOnly() throws {
        var dapo = try ObjectiveConfig.preset("dapo")
        dapo.dynamicSampling = false  // single sequence: no group to filter
        let res = try single(dapo, r: 1.25, a: 1)           // inside [0.8, 1.28]
        XCTAssertEqual(res.dLogProbs[0], -1.25, accuracy: 1e-5)
        let res2 = try single(dapo, r: 1.3, a: 1)
        XCTAssertEqual(res2.dLogProbs[0], 0)
        XCTAssertEqual(res2.loss, -1.28, accuracy: 1e-5)
    }

    func testHugeAndTinyLogRatiosAreClamped() throws {
        let batch = TokenBatch(count: 1, length: 2, behaviourLogProbs: [-100, 0], mask: [1, 1], advantages: [1])
        let res = try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: [0, -100])
        XCTAssertTrue(res.loss.isFinite)
        XCTAssertEqual(res.metrics.ratioMax, Double(exp(Float(20))), accuracy: 1e3)
        XCTAssertEqual(res.metrics.ratioMin, Double(exp(Float(-20))), accuracy: 1e-12)
    }

    func testTokenMeanAggregation() throws {
        // Two sequences with 2 and 1 masked tokens; r = 1 everywhere → loss = −mean Â over tokens.
        let batch = TokenBatch(count: 2, length: 2, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 0], advantages: [1, -2])
        let res = try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: [0, 0, 0, 0])
        XCTAssertEqual(res.loss, -(1 + 1 - 2) / 3.0, accuracy: 1e-6)
        let expected: [Float] = [-1.0 / 3, -1.0 / 3, 2.0 / 3, 0]
        for (g, e) in zip(res.dLogProbs, expected) { XCTAssertEqual(g, e, accuracy: 1e-7) }
    }

    func testSeqMeanTokenMeanAggregation() throws {
        let batch = TokenBatch(count: 2, length: 2, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 0], advantages: [1, -2])
        let cfg = ObjectiveConfig(aggregation: .seqMeanTokenMean)
        let res = try surrogateLoss(cfg, batch: batch, logProbs: [0, 0, 0, 0])
        XCTAssertEqual(res.loss, 0.5 * (-1) + 0.5 * 2, accuracy: 1e-6)
        XCTAssertEqual(res.dLogProbs[0], -0.25, accuracy: 1e-7)
        XCTAssertEqual(res.dLogProbs[2], 1, accuracy: 1e-7)
    }

    func testSeqMeanTokenSumNormUsesConstant() throws {
        let batch = TokenBatch(count: 1, length: 3, behaviourLogProbs: [0, 0, 0], mask: [1, 1, 0], advantages: [1])
        let cfg = ObjectiveConfig(aggregation: .seqMeanTokenSumNorm, lengthNorm: 4)
        let res = try surrogateLoss(cfg, batch: batch, logProbs: [0, 0, 0])
        XCTAssertEqual(res.loss, -2.0 / 4, accuracy: 1e-6)
    }

    func testEmptyMaskGivesZeroLossAndGradient() throws {
        let batch = TokenBatch(count: 1, length: 2, behaviourLogProbs: [0, 0], mask: [0, 0], advantages: [3])
        let res = try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: [-1, -2])
        XCTAssertEqual(res.loss, 0)
        XCTAssertEqual(res.dLogProbs, [0, 0])
        XCTAssertEqual(res.metrics.tokens, 0)
    }

    func testNonFiniteInputsRejected() {
        let batch = TokenBatch(count: 1, length: 1, behaviourLogProbs: [.nan], mask: [1], advantages: [1])
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: [0])) { e in
            XCTAssertTrue("\(e)".contains("behaviour_logprobs[0] is not finite"), "\(e)")
        }
        let ok = TokenBatch(count: 1, length: 1, behaviourLogProbs: [0], mask: [1], advantages: [1])
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: ok, logProbs: [.infinity]))
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: ok, logProbs: [0, 0]))
    }

    func testGradientMatchesFiniteDifferences() throws {
        // Random batch away from the clip boundaries: analytic dLoss/dlogπ vs central differences.
        var rng = SystemRandomNumberGenerator()
        let n = 3, s = 4
        let mask: [Float] = (0..<(n * s)).map { _ in Float.random(in: 0...1, using: &rng) < 0.7 ? 1 : 0 }
        let beh: [Float] = mask.map { $0 * Float.random(in: -2 ... -0.1, using: &rng) }
        let adv: [Float] = [1.3, -0.7, 0.2]
        let batch = TokenBatch(count: n, length: s, behaviourLogProbs: beh, mask: mask, advantages: adv)
        let lp: [Float] = beh.map { $0 + Float.random(in: -0.15...0.15, using: &rng) }
        for cfg in [ObjectiveConfig(), ObjectiveConfig(aggregation: .seqMeanTokenMean), ObjectiveConfig(clipLow: 0.05, clipHigh: 0.05)] {
            let res = try surrogateLoss(cfg, batch: batch, logProbs: lp)
            for k in 0..<(n * s) where mask[k] != 0 {
                let h: Float = 1e-3
                var p = lp; p[k] += h
                var m = lp; m[k] -= h
                // Skip points within h of a clip boundary, where the loss has a kink.
                let r = exp(lp[k] - beh[k])
                if abs(r - (1 - cfg.clipLow)) < 0.01 || abs(r - (1 + cfg.clipHigh)) < 0.01 { continue }
                let fd = (try surrogateLoss(cfg, batch: batch, logProbs: p).loss - surrogateLoss(cfg, batch: batch, logProbs: m).loss) / Double(2 * h)
                XCTAssertEqual(Double(res.dLogProbs[k]), fd, accuracy: 2e-3, "k=\(k) cfg=\(cfg.aggregation)")
            }
        }
    }

    func testUnknownPresetListsValidNames() {
        XCTAssertThrowsError(try ObjectiveConfig.preset("nope")) { e in
            XCTAssertTrue("\(e)".contains("valid: grpo"), "\(e)")
        }
    }

    func testGRPOZScoreUsesPopulationStd() throws {
        // Group 0: rewards 1,0,0,0 → mean 0.25, population std sqrt(0.1875) = 0.4330127
        let a = try AdvantageEstimator.grpo.advantages(rewards: [1, 0, 0, 0], groupIDs: [0, 0, 0, 0], epsStd: 0)
        XCTAssertEqual(a[0], 0.75 / 0.4330127, accuracy: 1e-5)
        XCTAssertEqual(a[1], -0.25 / 0.4330127, accuracy: 1e-5)
    }

    func testReferenceK3ValueAndGradient() throws {
        var cfg = ObjectiveConfig(); cfg.klCoef = 0.5
        // π = 0.5, π_ref = 0.6: d = log 1.2, k3 = 1.2 − d − 1, dk3/dlogπ = 1 − 1.2. Â = 0: only the KL.
        var b = TokenBatch(count: 1, length: 1, behaviourLogProbs: [log(0.5)], mask: [1], advantages: [0])
        b.referenceLogProbs = [log(0.6)]
        let res = try surrogateLoss(cfg, batch: b, logProbs: [log(0.5)])
        let d = Double(Float(log(0.6))) - Double(Float(log(0.5)))
        XCTAssertEqual(res.loss, 0.5 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), 0.5 * (1 - exp(d)), accuracy: 1e-7)
        XCTAssertEqual(res.metrics.klReference!, exp(d) - d - 1, accuracy: 1e-7)
        // Logged even when the coefficient is 0.
        cfg.klCoef = 0
        let logged = try surrogateLoss(cfg, batch: b, logProbs: [log(0.5)])
        XCTAssertEqual(logged.loss, 0); XCTAssertNotNil(logged.metrics.klReference)
    }
}

/// Edge cases of the clip rule: exact boundaries, window metrics, inputs.
final class GRPOEdgeTests: XCTestCase {
    func testRatioExactlyOnBoundaryKeepsGradient() throws {
        // clip_low = clip_high = 0 puts both boundaries at exactly r = 1 (log π = log μ = 0).
        let cfg = ObjectiveConfig(clipLow: 0, clipHigh: 0)
        for a: Float in [1, -1] {
            let res = try oneSequence(cfg, ratios: [1], a: a)
            XCTAssertEqual(res.loss, -Double(a), accuracy: 1e-12)
            XCTAssertEqual(res.dLogProbs[0], -a, "tie: the unclipped branch is active")
            XCTAssertEqual(res.metrics.clipFractionHigh + res.metrics.clipFractionLow, 0)
        }
        // Just past the boundary on the advantage side the gradient is gone.
        let past = try oneSequence(cfg, ratios: [1.001], a: 1)
        XCTAssertEqual(past.dLogProbs[0], 0)
        XCTAssertEqual(past.loss, -1, accuracy: 1e-12)
        let below = try oneSequence(cfg, ratios: [0.999], a: -1)
        XCTAssertEqual(below.dLogProbs[0], 0)
        XCTAssertEqual(below.metrics.clipFractionLow, 1)
    }

    func testAllEqualRewardsGiveNoSignal() throws {
        let adv = try AdvantageEstimator.grpo.advantages(rewards: [1, 1, 1], groupIDs: [0, 0, 0])
        let batch = TokenBatch(count: 3, length: 1, behaviourLogProbs: [0, 0, 0], mask: [1, 1, 1], advantages: adv)
        let res = try surrogateLoss(ObjectiveConfig(), batch: batch, logProbs: [0.3, -0.2, 0.1])
        XCTAssertEqual(res.loss, 0)
        XCTAssertEqual(res.dLogProbs, [0, 0, 0])
    }

    func testOutsideWindowFractionAndRatioPanel() throws {
        let res = try oneSequence(ObjectiveConfig(), ratios: [0.5, 0.9, 1.0, 1.1, 1.5], a: 1)
        XCTAssertEqual(res.metrics.outsideWindowFraction, 0.4, accuracy: 1e-12)
        XCTAssertEqual(res.metrics.ratioMin, seen(0.5), accuracy: 1e-9)
        XCTAssertEqual(res.metrics.ratioQ50, seen(1.0), accuracy: 1e-9)
        XCTAssertEqual(res.metrics.tokens, 5)
    }

    func testNonFiniteOptionalInputsAndBadMaskRejected() {
        var b = TokenBatch(count: 1, length: 2, behaviourLogProbs: [0, 0], mask: [1, 1], advantages: [1])
        b.entropy = [0.5, .nan]
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: b, logProbs: [0, 0])) { e in
            XCTAssertTrue("\(e)".contains("entropy[1] is not finite"), "\(e)")
        }
        var m = TokenBatch(count: 1, length: 2, behaviourLogProbs: [0, 0], mask: [1, 0.5], advantages: [1])
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: m, logProbs: [0, 0])) { e in
            XCTAssertTrue("\(e)".contains("loss_mask[1]"), "\(e)")
        }
        m.mask = [1, 0]
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: m, logProbs: [-.infinity, 0])) { e in
            XCTAssertTrue("\(e)".contains("logprobs[0] is not finite"), "\(e)")
        }
        // An infinite log-prob at a padded position is ignored.
        XCTAssertNoThrow(try surrogateLoss(ObjectiveConfig(), batch: m, logProbs: [0, -.infinity]))
    }
}
