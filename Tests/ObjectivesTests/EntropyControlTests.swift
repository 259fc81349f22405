// The kernel's entropy terms together (EntropyControl.swift with EPO.swift and DCPO.swift): the plain
// bonus as dLoss/dH, and dLoss/dH (what the policy backpropagates through dH/dlogits) against
// central differences of the loss in the live entropy with the detached entropy held fixed; the
// panel keys of the entropy and advantage presets. Each method's own tests: EPOTests, EMPGTests,
// DCPOTests, SAFETests.
import XCTest
import Foundation
@testable import Objectives

final class EntropyControlTests: XCTestCase {
    func testEntropyBonusGoesToThePolicyAsDLossDH() throws {
        var cfg = ObjectiveConfig(); cfg.entropyCoef = 0.1
        let res = try oneSequence(cfg, ratios: [1, 1], a: 0) { $0.entropy = [1, 2] }
        XCTAssertEqual(res.loss, -0.1 * 1.5, accuracy: 1e-7)
        XCTAssertEqual(res.dEntropy ?? [], [-0.05, -0.05])
        XCTAssertEqual(res.dLogProbs, [0, 0])
        XCTAssertEqual(res.metrics.entropy!, 1.5, accuracy: 1e-12)
        XCTAssertThrowsError(try oneSequence(cfg, ratios: [1], a: 0))   // entropy missing
    }

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

    /// Each new preset's metrics appear in the flat JSON panel and round-trip.
    func testNewPresetsPanelKeys() throws {
        let expected: [(String, [String])] = [
            ("epo", ["entropy_aggregated", "epo_bonus_coef", "epo_smoothing_coef"]), ("empg", ["empg_scale_min", "empg_scale_max"]),
            ("safe", ["safe_kl_coef", "safe_threshold", "safe_kl_short", "safe_entropy_gate", "safe_phase", "reward_mean"]),
            ("dcpo", ["entropy_aggregated", "dcpo_coef", "dcpo_target_entropy"]), ("grpo-guard", ["ratio_norm_shift"]),
            ("calibration-po", ["calibration_auc", "calibration_masked_pair_fraction"]), ("oblr-po", ["oblr_baseline_shift"]),
            ("adora", ["adora_advantageous_fraction", "adora_disadvantageous_fraction", "adora_weight_mean"]),
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
