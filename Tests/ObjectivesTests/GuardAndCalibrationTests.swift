// GRPO-Guard's ratio normalisation (GRPOGuard.swift) and calibration-aware advantages
// (CalibrationPO.swift) on hand-computed values, alone and in the kernel.
import XCTest
import Foundation
@testable import Objectives

final class GuardAndCalibrationTests: XCTestCase {
    func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func testGuardCentresTheRatiosBeforeTheClip() throws {
        XCTAssertEqual(guardRatioShift(detachedLogRatios: [0.1, 0.3, 9], keep: [1, 1, 0]), 0.2, accuracy: 1e-12)
        let cfg = try ObjectiveConfig.preset("grpo-guard")
        // Left-shifted ratios r = e^−0.3, e^−0.1 with Â = −1: plain PPO clips the first (r < 0.8, no
        // gradient); centred on b = −0.2 both sit inside the window, x = e^∓0.1.
        let r = [exp(-0.3), exp(-0.1)]
        let plain = try oneSequence(try ObjectiveConfig.preset("grpo"), ratios: r, a: -1)
        XCTAssertEqual(plain.dLogProbs[0], 0)
        let res = try oneSequence(cfg, ratios: r, a: -1)
        let b = (log(seen(r[0])) + log(seen(r[1]))) / 2
        XCTAssertEqual(res.metrics.ratioNormShift!, b, accuracy: 1e-9)
        let x = [exp(log(seen(r[0])) - b), exp(log(seen(r[1])) - b)]
        XCTAssertEqual(res.loss, (x[0] + x[1]) / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), x[0] / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[1]), x[1] / 2, accuracy: 1e-7)
        var bad = cfg; bad.ratioLevel = .sequenceMean
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("ratio_norm needs ratio_level=token"), "\($0)") }
    }

    func testCalibrationAdvantagesByHand() {
        // One group: the correct answer (c = −1) is less confident than one wrong answer (−0.5).
        let r: [Float] = [1, 0, 0], ids: [Int32] = [0, 0, 0], c: [Double?] = [-1, -0.5, -2]
        let out = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: c, margin: nil)
        XCTAssertEqual(out.advantages[0], sigma(0.5) + sigma(-1), accuracy: 1e-12)
        XCTAssertEqual(out.advantages[1], -2 * sigma(0.5), accuracy: 1e-12)
        XCTAssertEqual(out.advantages[2], -2 * sigma(-1), accuracy: 1e-12)
        XCTAssertEqual(out.auc!, 0.5, accuracy: 1e-12, "one of two pairs ordered right")
        XCTAssertEqual(out.maskedPairFraction, 0)
        // Margin 0.5: the pair (correct −1, wrong −2) is already ordered by 1 > 0.5 and drops out.
        let masked = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: c, margin: 0.5)
        XCTAssertEqual(masked.advantages[0], sigma(0.5), accuracy: 1e-12)
        XCTAssertEqual(masked.advantages[2], 0)
        XCTAssertEqual(masked.maskedPairFraction, 0.5, accuracy: 1e-12)
        // Equal confidences, binary rewards: ±1 like GRPO; no reward variance: 0; no loss token: 0.
        let even = calibrationAdvantages(rewards: [1, 0, 1, 1], groupIDs: [0, 0, 1, 1], confidence: [-1, -1, -1, nil], margin: nil)
        XCTAssertEqual(even.advantages, [1, -1, 0, 0])
    }

    func testCalibrationAdvantagesInTheKernel() throws {
        var cfg = try ObjectiveConfig.preset("calibration-po")
        cfg.bound = .none; cfg.calibrationMargin = nil
        // Three one-token completions of one group; log π = log μ = the confidences (ratio 1).
        let lp: [Float] = [-1, -0.5, -2]
        var b = TokenBatch(count: 3, length: 1, behaviourLogProbs: lp, mask: [1, 1, 1], advantages: [0.9, -0.4, -0.4])
        b.rewards = [1, 0, 0]; b.groupIDs = [0, 0, 0]
        let res = try objectiveLoss(cfg, state: ObjectiveState(config: cfg), batch: b, logProbs: lp)
        let want = calibrationAdvantages(rewards: [1, 0, 0], groupIDs: [0, 0, 0], confidence: [-1, -0.5, -2], margin: nil)
        for i in 0..<3 { XCTAssertEqual(Double(res.dLogProbs[i]), -want.advantages[i] / 3, accuracy: 1e-6, "sequence \(i)") }
        XCTAssertEqual(res.metrics.calibrationAUC!, 0.5, accuracy: 1e-12)
        b.groupIDs = nil
        XCTAssertThrowsError(try objectiveLoss(cfg, state: ObjectiveState(config: cfg), batch: b, logProbs: lp)) {
            XCTAssertTrue("\($0)".contains("calibration_advantage"), "\($0)")
        }
    }
}

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
}

final class PresetTableTests: XCTestCase {
    /// The registry and the preset switch agree, names are unique, and every paper named in the
    /// table for a new preset is the title as written in the seed collection.
    func testTableMatchesThePresets() throws {
        let names = ObjectiveConfig.presetTable.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(ObjectiveConfig.presetNames, names)
        for n in names { XCTAssertEqual(try ObjectiveConfig.preset(n).name, n) }
        let epo = try XCTUnwrap(ObjectiveConfig.presetTable.first { $0.name == "epo" })
        XCTAssertEqual(epo.paper, "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning")
        XCTAssertTrue(epo.reconstructed)
    }
}
