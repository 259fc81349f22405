// CAPO curvature-aware masking (ALGORITHMS.md §5.7, reconstructed proxy).
import XCTest
import Foundation
@testable import Objectives

final class CAPOTests: XCTestCase {
    func testSuppliedCurvatureMasksTheOutlier() throws {
        var cfg = ObjectiveConfig(); cfg.capoThreshold = 2
        // Scores x²·c = 1, 1, 1, 10; mean 3.25; cut 6.5 → only the last token is masked.
        let res = try oneSequence(cfg, ratios: [1, 1, 1, 1], a: 1) { $0.curvature = [1, 1, 1, 10] }
        XCTAssertEqual(res.effectiveMask, [1, 1, 1, 0])
        XCTAssertEqual(res.metrics.capoRejectedFraction, 0.25)
        XCTAssertEqual(res.loss, -1, accuracy: 1e-6)
        XCTAssertEqual(res.dLogProbs[3], 0)
    }

    func testTheAdvantageDoesNotDecideTheMask() throws {
        // One correct sample of a sparse group (Â = 2.65) and a wrong one (Â = −0.38), the same
        // curvature 0.2 everywhere. Scoring with Â² would give 1.40 and 0.029, mean 0.72, cut
        // 1.5 × 0.72 = 1.08: every token of the correct sample masked. Scoring x²·c gives 0.2
        // everywhere (cut 0.3): nothing masked, both samples keep their gradient.
        var cfg = ObjectiveConfig(); cfg.capoThreshold = 1.5
        let lp: [Float] = [-0.5, -0.5, -0.5, -0.5]
        var b = TokenBatch(count: 2, length: 2, behaviourLogProbs: lp, mask: [1, 1, 1, 1], advantages: [2.65, -0.38])
        b.curvature = [0.2, 0.2, 0.2, 0.2]
        let res = try surrogateLoss(cfg, batch: b, logProbs: lp)
        XCTAssertEqual(res.effectiveMask, [1, 1, 1, 1])
        XCTAssertEqual(res.metrics.capoRejectedFraction, 0)
        XCTAssertLessThan(res.dLogProbs[0], 0, "the correct sample is pushed up")
        XCTAssertGreaterThan(res.dLogProbs[2], 0, "the wrong one down")
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
