// GSPO sequence-level ratio and clip (ALGORITHMS.md §4.7), hand-computed.
import XCTest
import Foundation
@testable import Objectives

final class GSPOTests: XCTestCase {
    func testLengthNormalisedRatioAndTrueSequenceGradient() throws {
        let cfg = try ObjectiveConfig.preset("gspo")
        // s = exp(mean(log 1.1, log 0.9)) = sqrt(0.99) < 1 − 3e-4; Â > 0 → unclipped branch.
        let res = try oneSequence(cfg, ratios: [1.1, 0.9], a: 1)
        let s = (seen(1.1) * seen(0.9)).squareRoot()
        XCTAssertEqual(res.loss, -s, accuracy: 1e-9)
        // d(−s)/dlog π_t = −s / L for every token.
        XCTAssertEqual(Double(res.dLogProbs[0]), -s / 2, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[1]), -s / 2, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.ratioQ50, s, accuracy: 1e-9)
    }

    func testNarrowSequenceClip() throws {
        let cfg = try ObjectiveConfig.preset("gspo")
        let res = try oneSequence(cfg, ratios: [1.1, 0.9], a: -1)   // s < 1 − ε_low with Â < 0 → clipped
        XCTAssertEqual(res.loss, Double(1 - cfg.clipLow), accuracy: 1e-7)
        XCTAssertEqual(res.dLogProbs, [0, 0])
        XCTAssertEqual(res.metrics.clipFractionLow, 1)
    }

    func testSequenceSumWithTrueGradientDiffersFromMean() throws {
        var cfg = ObjectiveConfig(); cfg.ratioLevel = .sequenceSum; cfg.sequenceGradient = .sequence
        cfg.clipLow = 0.5; cfg.clipHigh = 0.5
        let res = try oneSequence(cfg, ratios: [1.1, 1.05], a: 1)
        let rho = seen(1.1) * seen(1.05)
        XCTAssertEqual(res.loss, -rho, accuracy: 1e-9)          // token-mean of a shared term
        // True gradient: every token gets the whole sequence's ∂loss/∂log ρ = −ρ.
        XCTAssertEqual(Double(res.dLogProbs[0]), -rho, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[1]), -rho, accuracy: 1e-6)
    }
}
