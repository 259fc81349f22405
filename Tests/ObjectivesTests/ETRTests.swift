// ETR elastic per-sample clip widths (ALGORITHMS.md §5.3, reconstruction).
import XCTest
import Foundation
@testable import Objectives

final class ETRTests: XCTestCase {
    func testWidthGrowsWithAdvantageAndGroupScale() throws {
        var cfg = try ObjectiveConfig.preset("etr")
        var b = TokenBatch(count: 4, length: 1, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 1], advantages: [2, 0, 1, 1])
        b.rewards = [1, 0, 1, 1]; b.groupIDs = [0, 0, 1, 1]   // p = 0.5 (scale 1) and p = 1 (scale 0)
        let w = etrWindows(cfg, batch: b)
        // ε_i = 0.2 · (1 + 0.5 · 2) · 1 = 0.4
        XCTAssertEqual(w[0].high, 1 + Double(Float(0.2)) * 2, accuracy: 1e-7)
        XCTAssertEqual(w[0].low, 1 - Double(Float(0.2)) * 2, accuracy: 1e-7)
        XCTAssertEqual(w[1].high, 1 + Double(Float(0.2)), accuracy: 1e-7)
        XCTAssertEqual(w[2].high, 1, accuracy: 1e-12)         // group with no spread: no budget
        cfg.etrGroupScale = false
        XCTAssertEqual(etrWindows(cfg, batch: b)[2].high, 1 + Double(Float(0.2)) * 1.5, accuracy: 1e-7)
    }

    func testLossUsesPerSampleWindow() throws {
        var cfg = try ObjectiveConfig.preset("etr"); cfg.etrGroupScale = false
        // Â = 2 → window [0.6, 1.4]: r = 1.3 is inside (PPO's 1.2 would clip), r = 1.5 is clipped at 1.4.
        let inside = try oneSequence(cfg, ratios: [1.3], a: 2)
        XCTAssertEqual(Double(inside.dLogProbs[0]), -2 * seen(1.3), accuracy: 1e-6)
        let outside = try oneSequence(cfg, ratios: [1.5], a: 2)
        XCTAssertEqual(outside.dLogProbs[0], 0)
        XCTAssertEqual(outside.loss, -2 * (1 + Double(Float(0.2)) * 2), accuracy: 1e-6)
        XCTAssertEqual(outside.metrics.etrEpsilonMean!, Double(Float(0.2)) * 2, accuracy: 1e-7)
    }
}
