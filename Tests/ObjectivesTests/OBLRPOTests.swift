// OBLR-PO's gradient-weighted baseline (OBLRPO.swift) by hand and in the kernel.
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
}
