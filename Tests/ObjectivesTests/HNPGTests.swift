// HNPG (HNPG.swift) by hand: the advantages with the demonstration in its group's baseline, and the
// kernel's loss and dLoss/dlog π on the two-group toy batch of RPOTests (sampled rows: GRPO's clipped
// terms; demonstration rows: −(w/M)·Â_d·log π, no ratio).
import XCTest
import Foundation
import Rollout
@testable import Objectives

final class HNPGTests: XCTestCase {
    func testPresetAndSettings() throws {
        let c = try ObjectiveConfig.preset("hnpg")
        XCTAssertEqual(c.offlineWeight, 1)
        XCTAssertEqual(c.sftCoef, 0)
        XCTAssertTrue(c.usesDemonstrations)
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "hnpg", overrides: ["offline_weight": "0"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "hnpg", overrides: ["advantage": "rloo"]),
                             "the weighted baseline is defined for grpo and dr-grpo only")
        XCTAssertNoThrow(try ObjectiveConfig.parse(name: "hnpg", overrides: ["advantage": "dr-grpo"]))
        XCTAssertEqual(demonstrationReward([0, 0]), 1)
        XCTAssertEqual(demonstrationReward([0.5, 2.5]), 2.5, "a composite reward above 1: the group's best")
    }

    /// Group 0: samples 1, 0 and the demonstration (r_d = 1); group 1: samples 0, 0 and the
    /// demonstration. w = 1: b₀ = 2/3, σ₀² = (1/9 + 4/9 + 1/9)/3 = 2/9; b₁ = 1/3, σ₁² = 2/9, so
    /// Â = ±(1/3)/√(2/9) = ±√2/2 and ±(2/3)/√(2/9) = ±√2. A group without a demonstration keeps its own.
    func testAdvantagesByHand() throws {
        let r = Float(0.5).squareRoot()
        let a = try hnpgAdvantages(rewards: [1, 0, 0, 0, 1, 0, 1, 1, 1], groupIDs: [0, 0, 1, 1, 2, 2, 0, 1, 2],
                                   demonstration: [false, false, false, false, false, false, true, true, false],
                                   sampledAdvantages: [9, 9, 9, 9, 1, -1, 0, 0, 7], weight: 1, estimator: .grpo, epsStd: 0)
        let want: [Float] = [r, -2 * r, -r, -r, 1, -1, r, 2 * r]
        for (i, w) in want.enumerated() { XCTAssertEqual(a[i], w, accuracy: 1e-6, "row \(i)") }
        XCTAssertEqual(a[8], 7, "a group without a demonstration keeps the estimator's advantages")
        // w = 2, dr-grpo: group 1: b = (0 + 0 + 2·1)/4 = 0.5 → −0.5, −0.5, demonstration 0.5.
        let d = try hnpgAdvantages(rewards: [0, 0, 1], groupIDs: [1, 1, 1], demonstration: [false, false, true],
                                   sampledAdvantages: [0, 0, 0], weight: 2, estimator: .drGRPO, epsStd: 0)
        XCTAssertEqual(d, [-0.5, -0.5, 0.5])
        // All samples as good as the demonstration: no signal, as in GRPO.
        XCTAssertEqual(try hnpgAdvantages(rewards: [1, 1, 1], groupIDs: [0, 0, 0], demonstration: [false, false, true],
                                          sampledAdvantages: [0, 0, 0], weight: 1, estimator: .grpo, epsStd: 1e-6), [0, 0, 0])
    }

    func testLossAndGradientByHand() throws {
        let r = 0.5.squareRoot()
        let adv: [Float] = [Float(r), Float(-2 * r), Float(-r), Float(-r), Float(r), Float(2 * r)]
        let (batch, lp) = demonstrationToyBatch(advantages: adv)
        let res = try surrogateLoss(try .preset("hnpg"), batch: batch, logProbs: lp)
        // Sampled rows (M = 4): ratios e^0.1 (row 0, Â > 0, inside 1.2) and 1: −(Σ Â·x)/4.
        let grpo = -(r * exp(0.1) - 2 * r - r - r) / 4
        // Demonstrations: −(1/4)·[√2/2·(−0.5 − 1.5) + √2·(−2 − 0.25)] = (√2 + 2.25·√2)/4.
        let offline = (2 * r + 4.5 * r) / 4
        XCTAssertEqual(res.metrics.policyLoss, grpo, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.offlineTerm!, offline, accuracy: 1e-6)
        XCTAssertEqual(res.loss, grpo + offline, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.offlineAdvantageMean!, 1.5 * r, accuracy: 1e-6)
        XCTAssertNil(res.metrics.sftTerm)
        var want = [Double](repeating: 0, count: 18)
        want[1] = -r * exp(0.1) / 4; want[4] = 2 * r / 4; want[7] = r / 4; want[10] = r / 4
        want[13] = -r / 4; want[14] = -r / 4; want[16] = -2 * r / 4; want[17] = -2 * r / 4
        for k in 0..<18 { XCTAssertEqual(Double(res.dLogProbs[k]), want[k], accuracy: 1e-6, "position \(k)") }
        // No ratio on a demonstration: its gradient does not depend on its log-probs (a far-off
        // log π would be clipped if it had one).
        var far = lp
        far[13] = -9
        XCTAssertEqual(try surrogateLoss(try .preset("hnpg"), batch: batch, logProbs: far).dLogProbs[13], res.dLogProbs[13])
        // RPO and HNPG together: the two terms add.
        let both = try ObjectiveConfig.parse(name: "hnpg", overrides: ["sft_coef": "0.1"])
        let sum = try surrogateLoss(both, batch: batch, logProbs: lp)
        XCTAssertEqual(sum.loss, grpo + offline + 0.1 * 1.0625, accuracy: 1e-6)
        XCTAssertEqual(Double(sum.dLogProbs[16]), -2 * r / 4 - 0.1 / 4, accuracy: 1e-6)
    }

    /// With the rows split into two minibatches, each minibatch's demonstration term is normalised
    /// by its own sampled tokens (M), as the on-policy token-mean is.
    func testMinibatchNormaliser() throws {
        let r = 0.5.squareRoot()
        let (batch, _) = demonstrationToyBatch(advantages: [Float(r), Float(-2 * r), Float(-r), Float(-r), Float(r), Float(2 * r)])
        let mb = batch.rows([0, 1, 4])                   // group 0's rows: M = 2
        let res = try surrogateLoss(try .preset("hnpg"), batch: mb, logProbs: [0, -0.9, 0, 0, -1, 0, 0, -0.5, -1.5])
        XCTAssertEqual(Double(res.dLogProbs[7]), -r / 2, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.offlineTerm!, -(r / 2) * (-2), accuracy: 1e-6)
    }
}
