// BPO / GBPO bounded-ratio divergence (ALGORITHMS.md §5.1, reconstruction) with median advantages.
import XCTest
import Foundation
@testable import Objectives

final class GBPOTests: XCTestCase {
    func testDivergenceToTargetRatio() throws {
        let cfg = try ObjectiveConfig.preset("gbpo")
        // Â = 1.5 > 0: target 1.2; ℓ = 1.5 (log r − log 1.2)², slope 3 (log r − log 1.2).
        let res = try oneSequence(cfg, ratios: [1.1], a: 1.5)
        let d = log(seen(1.1)) - log(1 + Double(Float(0.2)))
        XCTAssertEqual(res.loss, 1.5 * d * d, accuracy: 1e-9)
        XCTAssertEqual(Double(res.dLogProbs[0]), 3 * d, accuracy: 1e-6)
        XCTAssertLessThan(res.dLogProbs[0], 0, "below target: pushed up")
        // Â < 0: target 0.8; a ratio of 0.7 is past it and pulled back up.
        let neg = try oneSequence(cfg, ratios: [0.7], a: -1)
        let dn = log(seen(0.7)) - log(1 - Double(Float(0.2)))
        XCTAssertEqual(neg.loss, dn * dn, accuracy: 1e-9)
        XCTAssertLessThan(neg.dLogProbs[0], 0)
        XCTAssertEqual(neg.metrics.clipFractionLow, 1)
        // Â = 0: no loss, no gradient.
        let zero = try oneSequence(cfg, ratios: [1.7], a: 0)
        XCTAssertEqual(zero.loss, 0); XCTAssertEqual(zero.dLogProbs, [0])
    }

    func testPresetUsesMedianBaseline() throws {
        XCTAssertEqual(try ObjectiveConfig.preset("gbpo").advantage, .gbpo)
        let a = try AdvantageEstimator.gbpo.advantages(rewards: [1, 0, 0], groupIDs: [0, 0, 0])
        XCTAssertEqual(a, [1, 0, 0])   // median 0: the majority outcome gets no push
    }

    func testGBPOMedianBaseline() throws {
        let a = try AdvantageEstimator.gbpo.advantages(rewards: [1, 0, 0, 0.2], groupIDs: [0, 0, 0, 0])
        // sorted 0,0,0.2,1 → median 0.1
        XCTAssertEqual(a[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(a[1], -0.1, accuracy: 1e-6)
    }
}
