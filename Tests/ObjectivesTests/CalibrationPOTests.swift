// Calibration-aware advantages (CalibrationPO.swift) on hand-computed values, alone and in the kernel.
import XCTest
import Foundation
@testable import Objectives

final class CalibrationPOTests: XCTestCase {
    func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func testCalibrationAdvantagesByHand() {
        // One group: the correct answer (c = −1) is less confident than one wrong answer (−0.5).
        let r: [Float] = [1, 0, 0], ids: [Int32] = [0, 0, 0], c: [Double?] = [-1, -0.5, -2]
        let out = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: c, margin: nil)
        // P = 2 pairs of different rewards: scale 2/√2.
        let s = 2 / 2.0.squareRoot()
        XCTAssertEqual(out.advantages[0], s * (sigma(0.5) + sigma(-1)), accuracy: 1e-12)
        XCTAssertEqual(out.advantages[1], -s * sigma(0.5), accuracy: 1e-12)
        XCTAssertEqual(out.advantages[2], -s * sigma(-1), accuracy: 1e-12)
        XCTAssertEqual(out.advantages.reduce(0, +), 0, accuracy: 1e-12, "each pair pushes its members equally and oppositely")
        XCTAssertEqual(out.auc!, 0.5, accuracy: 1e-12, "one of two pairs ordered right")
        XCTAssertEqual(out.maskedPairFraction, 0)
        // Margin 0.5: the pair (correct −1, wrong −2) is already ordered by 1 > 0.5 and drops out.
        let masked = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: c, margin: 0.5)
        XCTAssertEqual(masked.advantages[0], s * sigma(0.5), accuracy: 1e-12)
        XCTAssertEqual(masked.advantages[2], 0)
        XCTAssertEqual(masked.maskedPairFraction, 0.5, accuracy: 1e-12)
        // Equal confidences, binary rewards: ±1 like GRPO; no reward variance: 0; no loss token: 0.
        let even = calibrationAdvantages(rewards: [1, 0, 1, 1], groupIDs: [0, 0, 1, 1], confidence: [-1, -1, -1, nil], margin: nil)
        XCTAssertEqual(even.advantages, [1, -1, 0, 0])
        // One correct of four at equal confidences: exactly GRPO's z-scores √3 and −1/√3, summing to 0
        // (the first form gave +1 and three −1).
        let sparse = calibrationAdvantages(rewards: [1, 0, 0, 0], groupIDs: [0, 0, 0, 0], confidence: [-1, -1, -1, -1], margin: nil)
        let z = grpoAdvantages([1, 0, 0, 0], mean: 0.25, epsStd: 0)
        for i in 0..<4 { XCTAssertEqual(sparse.advantages[i], z[i], accuracy: 1e-12) }
        XCTAssertEqual(sparse.advantages[0], 3.0.squareRoot(), accuracy: 1e-12)
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
