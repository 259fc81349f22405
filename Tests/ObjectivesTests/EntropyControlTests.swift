// EPO, EMPG, DCPO and SAFE (EPO.swift, EMPG.swift, DCPO.swift, SAFE.swift, EntropyControl.swift):
// their formulas on hand-computed values, their place in the kernel, their state updates, and
// dLoss/dH (what the policy backpropagates through dH/dlogits) against central differences of
// the loss in the live entropy with the detached entropy held fixed.
import XCTest
import Foundation
@testable import Objectives

final class EntropyControlTests: XCTestCase {
    // MARK: EPO

    func testEPOPhaseCoefficientsAndPenalty() throws {
        XCTAssertEqual(epoPhase(step: 50, phaseSteps: 200), 0.25)
        XCTAssertEqual(epoPhase(step: 500, phaseSteps: 200), 1)
        XCTAssertEqual(epoPhase(step: 50, phaseSteps: nil), 1)
        let c = try ObjectiveConfig.preset("epo")
        let (bonus, smoothing) = epoCoefficients(c, step: 50)
        XCTAssertEqual(bonus, Double(Float(0.01)) * 0.75, accuracy: 1e-12)
        XCTAssertEqual(smoothing, 0.25, accuracy: 1e-12)
        // H_B = 1.5, H̄ = 1, κ = 0.2: d = 0.5 − 0.2 = 0.3, λd² = 2·0.09, dλd²/dH_B = 2·2·0.3.
        let p = epoSmoothingPenalty(batchEntropy: 1.5, history: 1, band: 0.2, weight: 2)
        XCTAssertEqual(p.value, 0.18, accuracy: 1e-12)
        XCTAssertEqual(p.dBatchEntropy, 1.2, accuracy: 1e-12)
        let below = epoSmoothingPenalty(batchEntropy: 0.5, history: 1, band: 0.2, weight: 2)
        XCTAssertEqual(below.dBatchEntropy, -1.2, accuracy: 1e-12)
        XCTAssertEqual(epoSmoothingPenalty(batchEntropy: 1.1, history: 1, band: 0.2, weight: 2).value, 0, "inside the band")
        XCTAssertEqual(epoHistoryUpdate(nil, batchEntropy: 1.5, decay: 0.9), 1.5)
        XCTAssertEqual(epoHistoryUpdate(1, batchEntropy: 1.5, decay: 0.9), 1.05, accuracy: 1e-12)
    }

    func testEPOInTheKernelAndItsState() throws {
        var cfg = try ObjectiveConfig.preset("epo")
        cfg.epoBand = 0.2; cfg.epoSmoothing = 1; cfg.epoPhaseSteps = 200
        var state = ObjectiveState(config: cfg)
        state.step = 100; state.entropyHistory = 1   // α = 0.5: bonus 0.005, smoothing weight 0.5
        let res = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [1, 2] }
        // H_B = 1.5, d = 0.3: loss = −0.005·1.5 + 0.5·0.09; dH_t = −0.005·½ + 2·0.5·0.3·½.
        let c = Double(Float(0.01)) * 0.5
        XCTAssertEqual(res.loss, -c * 1.5 + 0.045, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dEntropy![0]), -c / 2 + 0.15, accuracy: 1e-7)
        XCTAssertEqual(res.dEntropy![0], res.dEntropy![1])
        XCTAssertEqual(res.metrics.epoSmoothingPenalty!, 0.045, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.entropyAggregated!, 1.5, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.epoEntropyHistory, 1)
        state.update(afterStep: res, config: cfg)
        XCTAssertEqual(state.entropyHistory!, 1.05, accuracy: 1e-7)  // β = Float(0.9)
        XCTAssertEqual(state.step, 101)
        // First step: no history yet, so no smoothing term; the history starts at H_B.
        var fresh = ObjectiveState(config: cfg)
        let first = try oneSequence(cfg, ratios: [1, 1], a: 0, state: fresh) { $0.entropy = [1, 2] }
        XCTAssertNil(first.metrics.epoSmoothingPenalty)
        XCTAssertEqual(first.loss, -Double(Float(0.01)) * 1.5, accuracy: 1e-7)
        fresh.update(afterStep: first, config: cfg)
        XCTAssertEqual(fresh.entropyHistory!, 1.5, accuracy: 1e-9)
    }

    // MARK: EMPG

    func testEMPGAdvantagesByHand() {
        // One sequence of 3 kept tokens, Â = 2, H = [0, 1, 0.5] → Ĥ = H (span 1), k = k′ = 1, ζ = 0.1.
        let out = empgAdvantages(advantages: [2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3,
                                 k: 1, futureK: 1, zeta: 0.1)
        let raw = [1, exp(-1.0), exp(-0.5)], mean = raw.reduce(0, +) / 3
        let f = [exp(-1.0), exp(-0.5), 0], fMean = f.reduce(0, +) / 3
        for t in 0..<3 {
            XCTAssertEqual(out.advantages[t], raw[t] / mean * 2 + 0.1 * (f[t] - fMean), accuracy: 1e-7, "token \(t)")
        }
        XCTAssertEqual(out.scaleMax, 1 / mean, accuracy: 1e-7)
        XCTAssertEqual(out.scaleMin, exp(-1.0) / mean, accuracy: 1e-7)
        // Confident tokens get more than uncertain ones, for a negative advantage too (confident errors).
        let neg = empgAdvantages(advantages: [-2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3, k: 1, futureK: 1, zeta: 0)
        XCTAssertLessThan(neg.advantages[0], neg.advantages[2]); XCTAssertLessThan(neg.advantages[2], neg.advantages[1])
        XCTAssertEqual(neg.advantages.reduce(0, +) / 3, -2, accuracy: 1e-9, "g has mean 1")
    }

    func testEMPGReplacesTheAdvantageInTheKernel() throws {
        var cfg = try ObjectiveConfig.preset("empg")
        cfg.bound = .none; cfg.empgZeta = 0.1
        // At ratio 1 the unclipped term's gradient is −A_t per token, token-mean over 3 tokens.
        let res = try oneSequence(cfg, ratios: [1, 1, 1], a: 2) { $0.entropy = [0, 1, 0.5] }
        let want = empgAdvantages(advantages: [2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3, k: 1, futureK: 1, zeta: 0.1)
        for t in 0..<3 { XCTAssertEqual(Double(res.dLogProbs[t]), -want.advantages[t] / 3, accuracy: 1e-6) }
        XCTAssertNil(res.dEntropy, "EMPG does not differentiate the entropy")
        XCTAssertNotNil(res.metrics.empgScaleMax)
    }

    // MARK: DCPO

    func testDCPOCoefficientAndTarget() throws {
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 0.5, target: 1, twoSided: false), 0.025, accuracy: 1e-12)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 3, target: 1, twoSided: false), 0)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 3, target: 1, twoSided: true), -0.05, accuracy: 1e-12)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 0, target: 1, twoSided: false), 0.05, accuracy: 1e-12)
        var c = try ObjectiveConfig.preset("dcpo")
        XCTAssertEqual(dcpoTarget(c, initialEntropy: 2), 1, accuracy: 1e-7)
        c.dcpoTargetEntropy = 0.7
        XCTAssertEqual(dcpoTarget(c, initialEntropy: 2), Double(Float(0.7)))
    }

    func testDCPOInTheKernelAndItsState() throws {
        let cfg = try ObjectiveConfig.preset("dcpo")
        var state = ObjectiveState(config: cfg)
        // Step 0 sets H₀ = H_B = 1.5: target 0.75, above it, so one-sided DCPO does nothing yet.
        let first = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [1, 2] }
        XCTAssertEqual(first.metrics.dcpoCoef, 0); XCTAssertNil(first.dEntropy)
        state.update(afterStep: first, config: cfg)
        XCTAssertEqual(state.initialEntropy!, 1.5, accuracy: 1e-9)
        // Collapsed to H_B = 0.3: τ − 1 = 0.05·(0.75 − 0.3)/0.75 = 0.03 as an entropy bonus.
        let later = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [0.2, 0.4] }
        let coef = Double(Float(0.05)) * (0.75 - 0.3) / 0.75
        XCTAssertEqual(later.metrics.dcpoCoef!, coef, accuracy: 1e-7)
        XCTAssertEqual(later.loss, -coef * 0.3, accuracy: 1e-7)
        XCTAssertEqual(Double(later.dEntropy![0]), -coef / 2, accuracy: 1e-7)
        state.update(afterStep: later, config: cfg)
        XCTAssertEqual(state.initialEntropy!, 1.5, accuracy: 1e-9, "H₀ stays the first step's")
    }

    // MARK: SAFE

    func testSAFEControllerByHand() throws {
        let cfg = try ObjectiveConfig.preset("safe")
        var s = SAFEState()
        s.update(kl: 0.5, entropy: 0.9, reward: 0.2, config: cfg)
        // KL_s = 0.05; first reward: no PID output; warm-up ×1.5: τ = 0.45; gate = 2/(0.9 + 0.1) = 2.
        XCTAssertEqual(s.klShort, 0.05, accuracy: 1e-12)
        XCTAssertEqual(s.threshold, Double(Float(0.3)) * 1.5, accuracy: 1e-9)
        XCTAssertEqual(s.gate, 2, accuracy: 1e-12)
        XCTAssertEqual(s.coefficient, 0, "KL_s below τ")
        s.klShort = 0.9
        s.update(kl: 1, entropy: 0.9, reward: 0.4, config: cfg)
        // KL_s = 0.91; r̄: 0.2 → 0.21, e = 0.01 − 0.001 = 0.009; u = 0.3e + 0.01e + 0.05e.
        let e = 0.009, u = Double(Float(0.3)) * e + Double(Float(0.01)) * e + Double(Float(0.05)) * e
        let tau = (Double(Float(0.3)) + u) * 1.5
        XCTAssertEqual(s.klShort, 0.91, accuracy: 1e-12)
        XCTAssertEqual(s.integral, e, accuracy: 1e-12)
        XCTAssertEqual(s.threshold, tau, accuracy: 1e-9)
        XCTAssertEqual(s.coefficient, 2 * Double(Float(0.1)) * (0.91 - tau) * 2, accuracy: 1e-9)
    }

    func testSAFEPhases() {
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.5, count: 49)).phase, 0)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.5, count: 50) + Array(repeating: 0.6, count: 50)).multiplier, 1.2)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.8, count: 100)).phase, 3)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.3, count: 60)).multiplier, 0.8)
    }

    func testSAFECoefficientDrivesTheKLTermAndTheStateUpdates() throws {
        let cfg = try ObjectiveConfig.preset("safe")
        var state = ObjectiveState(config: cfg)
        var s = SAFEState(); s.coefficient = 0.5
        state.safe = s
        var b = TokenBatch(count: 1, length: 1, behaviourLogProbs: [log(0.5)], mask: [1], advantages: [0])
        b.referenceLogProbs = [log(0.6)]; b.entropy = [1]; b.rewards = [1]
        let res = try objectiveLoss(cfg, state: state, batch: b, logProbs: [log(0.5)])
        let d = Double(Float(log(0.6))) - Double(Float(log(0.5)))
        XCTAssertEqual(res.metrics.klReferenceTerm, 0.5 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), 0.5 * (1 - exp(d)), accuracy: 1e-7)
        XCTAssertEqual(res.metrics.safeKLCoef, 0.5); XCTAssertEqual(res.metrics.rewardMean, 1)
        state.update(afterStep: res, config: cfg)
        XCTAssertEqual(state.safe!.klShort, 0.1 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(state.safe!.rewards, [1])
        b.referenceLogProbs = nil
        XCTAssertThrowsError(try objectiveLoss(cfg, state: state, batch: b, logProbs: [log(0.5)])) { e in
            XCTAssertTrue("\(e)".contains("reference_logprobs (safe"), "\(e)")
        }
    }

    // MARK: dLoss/dH against central differences

    func testDEntropyMatchesCentralDifferences() throws {
        var epo = try ObjectiveConfig.preset("epo"); epo.epoSmoothing = 3; epo.epoBand = 0.05
        var plain = try ObjectiveConfig.preset("grpo"); plain.entropyCoef = 0.02
        plain.aggregation = .seqMeanTokenSum
        var dcpo = try ObjectiveConfig.preset("dcpo"); dcpo.dcpoTargetEntropy = 3
        for cfg in [epo, plain, dcpo] {
            let (batch, lp) = randomBatch(seed: 17)
            var state = ObjectiveState(config: cfg)
            state.step = 40; state.entropyHistory = 0.6   // random entropies average ≈ 1: outside the band
            let h0 = batch.entropy!
            let res = try objectiveLoss(cfg, state: state, batch: batch, logProbs: lp, detachedEntropy: h0)
            let dH = try XCTUnwrap(res.dEntropy, cfg.name)
            XCTAssertTrue(dH.contains { $0 != 0 }, cfg.name)
            var checked = 0
            for k in 0..<h0.count where batch.mask[k] != 0 {
                func loss(_ d: Float) throws -> Double {
                    var b = batch; b.entropy![k] += d
                    return try objectiveLoss(cfg, state: state, batch: b, logProbs: lp, detachedEntropy: h0).loss
                }
                let step: Float = 1e-3
                let fd = (try loss(step) - loss(-step)) / Double(2 * step)
                XCTAssertEqual(Double(dH[k]), fd, accuracy: 1e-5 + 1e-3 * abs(fd), "\(cfg.name) position \(k)")
                checked += 1
            }
            XCTAssertGreaterThan(checked, 10)
        }
    }

    // MARK: panel

    /// Each new preset's metrics appear in the flat JSON panel and round-trip.
    func testNewPresetsPanelKeys() throws {
        let expected: [(String, [String])] = [
            ("epo", ["entropy_aggregated", "epo_bonus_coef", "epo_smoothing_coef"]), ("empg", ["empg_scale_min", "empg_scale_max"]),
            ("safe", ["safe_kl_coef", "safe_threshold", "safe_kl_short", "safe_entropy_gate", "safe_phase", "reward_mean"]),
            ("dcpo", ["entropy_aggregated", "dcpo_coef", "dcpo_target_entropy"]), ("grpo-guard", ["ratio_norm_shift"]),
            ("calibration-po", ["calibration_auc", "calibration_masked_pair_fraction"]), ("oblr-po", ["oblr_baseline_shift"]),
        ]
        for (preset, keys) in expected {
            let cfg = try ObjectiveConfig.preset(preset)
            let (batch, lp) = randomBatch(seed: 29)
            let res = try objectiveLoss(cfg, state: ObjectiveState(config: cfg), batch: batch, logProbs: lp)
            let data = try JSONEncoder().encode(res.metrics)
            let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            for k in keys { XCTAssertNotNil(obj[k], "\(preset): \(k)") }
            XCTAssertEqual(try JSONDecoder().decode(ObjectiveMetrics.self, from: data), res.metrics, preset)
        }
    }
}
