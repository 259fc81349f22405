// Dr. GRPO (DrGRPO.swift, ALGORITHMS.md §4.4): mean-only advantages and the constant length normaliser.
import XCTest
import Foundation
@testable import Objectives

final class DrGRPOTests: XCTestCase {
    func testMeanOnlyAdvantagesAndConstantNormaliser() throws {
        // R = 1, 0, 0, 0: mean 0.25, no division by the std (GRPO would give 0.75/0.433…).
        let a = try AdvantageEstimator.drGRPO.advantages(rewards: [1, 0, 0, 0], groupIDs: [0, 0, 0, 0])
        XCTAssertEqual(a, [0.75, -0.25, -0.25, -0.25])
        let cfg = try ObjectiveConfig.preset("dr-grpo")
        XCTAssertEqual(cfg.advantage, .drGRPO); XCTAssertEqual(cfg.aggregation, .seqMeanTokenSumNorm)
        // Two sequences of 1 and 3 tokens in 4 positions, ratio 1: loss = −(1/N)·Σ_i Σ_t Â_i / L_norm,
        // L_norm = 4 (padded length): −(1·0.5 + 3·(−0.5))/(2·4) = 0.125; each token's gradient −Â_i/8.
        let b = TokenBatch(count: 2, length: 4, behaviourLogProbs: [Float](repeating: 0, count: 8),
                           mask: [1, 0, 0, 0, 1, 1, 1, 0], advantages: [0.5, -0.5])
        let res = try surrogateLoss(cfg, batch: b, logProbs: [Float](repeating: 0, count: 8))
        XCTAssertEqual(res.loss, 0.125, accuracy: 1e-12)
        XCTAssertEqual(res.dLogProbs, [-0.0625, 0, 0, 0, 0.0625, 0.0625, 0.0625, 0])
    }
}
