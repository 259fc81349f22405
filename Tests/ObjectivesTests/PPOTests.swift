// PPO's dual clip (PPO.swift, ALGORITHMS.md §4.2): the floor c·|Â| for negative advantages.
import XCTest
import Foundation
@testable import Objectives

final class PPOTests: XCTestCase {
    /// One sequence, one token, advantage `a`, ratio `r` (log μ = 0, log π = log r).
    private func single(_ cfg: ObjectiveConfig, r: Float, a: Float) throws -> ObjectiveResult {
        let batch = TokenBatch(count: 1, length: 1, behaviourLogProbs: [0], mask: [1], advantages: [a])
        return try surrogateLoss(cfg, batch: batch, logProbs: [log(r)])
    }

    func testDualClipFloorsHugeRatioWithNegativeAdvantage() throws {
        let cfg = ObjectiveConfig(dualClip: 3)
        let res = try single(cfg, r: 10, a: -1)             // PPO term would be 10; floor c·|Â| = 3
        XCTAssertEqual(res.loss, 3, accuracy: 1e-5)
        XCTAssertEqual(res.dLogProbs[0], 0)
        XCTAssertEqual(res.metrics.dualClipFraction, 1)
        let plain = try single(ObjectiveConfig(), r: 10, a: -1)
        XCTAssertEqual(plain.loss, 10, accuracy: 1e-4)
        XCTAssertEqual(plain.dLogProbs[0], 10, accuracy: 1e-4)
    }

    func testDualClipEdges() throws {
        let cfg = ObjectiveConfig(dualClip: 3)
        let under = try oneSequence(cfg, ratios: [2.9], a: -2)   // PPO term 2·2.9 = 5.8 < 6
        XCTAssertEqual(under.loss, 2 * seen(2.9), accuracy: 1e-6)
        XCTAssertEqual(Double(under.dLogProbs[0]), 2 * seen(2.9), accuracy: 1e-5)
        let over = try oneSequence(cfg, ratios: [3.1], a: -2)    // floored at c·|Â| = 6
        XCTAssertEqual(over.loss, 6, accuracy: 1e-6)
        XCTAssertEqual(over.dLogProbs[0], 0)
        XCTAssertEqual(over.metrics.dualClipFraction, 1)
        // Positive advantages are never dual-clipped.
        let pos = try oneSequence(cfg, ratios: [10], a: 1)
        XCTAssertEqual(pos.loss, -1.2, accuracy: 1e-6)
        XCTAssertEqual(pos.metrics.dualClipFraction, 0)
    }
}
