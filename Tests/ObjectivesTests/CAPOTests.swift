// CAPO curvature-aware masking (ALGORITHMS.md §5.7, reconstructed proxy).
import XCTest
import Foundation
@testable import Objectives

final class CAPOTests: XCTestCase {
    func testSuppliedCurvatureMasksTheOutlier() throws {
        var cfg = ObjectiveConfig(); cfg.capoThreshold = 2
        // Scores (Â·x)²·c = 1, 1, 1, 10; mean 3.25; cut 6.5 → only the last token is masked.
        let res = try oneSequence(cfg, ratios: [1, 1, 1, 1], a: 1) { $0.curvature = [1, 1, 1, 10] }
        XCTAssertEqual(res.effectiveMask, [1, 1, 1, 0])
        XCTAssertEqual(res.metrics.capoRejectedFraction, 0.25)
        XCTAssertEqual(res.loss, -1, accuracy: 1e-6)
        XCTAssertEqual(res.dLogProbs[3], 0)
    }

    func testTwoOutcomeProxyFromTokenProbability() throws {
        var cfg = ObjectiveConfig(); cfg.capoThreshold = 1.5
        // μ = π (ratio 1); c ≈ 4p(1−p)³ for p = 0.9, 0.9, 0.2: 0.0036, 0.0036, 0.4096 → the p = 0.2 token goes.
        let lp: [Float] = [log(0.9), log(0.9), log(0.2)]
        var b = TokenBatch(count: 1, length: 3, behaviourLogProbs: lp, mask: [1, 1, 1], advantages: [1])
        b.curvature = nil
        let res = try surrogateLoss(cfg, batch: b, logProbs: lp)
        XCTAssertEqual(res.effectiveMask, [1, 1, 0])
        cfg.capoThreshold = 4   // cut = 4 · mean > max score: nothing masked
        XCTAssertEqual(try surrogateLoss(cfg, batch: b, logProbs: lp).effectiveMask, [1, 1, 1])
    }
}
