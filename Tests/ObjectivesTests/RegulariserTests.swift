// Regularisers (ALGORITHMS.md §1.5, §3.3): k3 KL to a frozen reference, entropy bonus.
import XCTest
import Foundation
@testable import Objectives

final class RegulariserTests: XCTestCase {
    func testReferenceK3ValueAndGradient() throws {
        var cfg = ObjectiveConfig(); cfg.klCoef = 0.5
        // π = 0.5, π_ref = 0.6: d = log 1.2, k3 = 1.2 − d − 1, dk3/dlogπ = 1 − 1.2. Â = 0: only the KL.
        var b = TokenBatch(count: 1, length: 1, behaviourLogProbs: [log(0.5)], mask: [1], advantages: [0])
        b.referenceLogProbs = [log(0.6)]
        let res = try surrogateLoss(cfg, batch: b, logProbs: [log(0.5)])
        let d = Double(Float(log(0.6))) - Double(Float(log(0.5)))
        XCTAssertEqual(res.loss, 0.5 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), 0.5 * (1 - exp(d)), accuracy: 1e-7)
        XCTAssertEqual(res.metrics.klReference!, exp(d) - d - 1, accuracy: 1e-7)
        // Logged even when the coefficient is 0.
        cfg.klCoef = 0
        let logged = try surrogateLoss(cfg, batch: b, logProbs: [log(0.5)])
        XCTAssertEqual(logged.loss, 0); XCTAssertNotNil(logged.metrics.klReference)
    }

    func testEntropyBonusGoesToThePolicyAsDLossDH() throws {
        var cfg = ObjectiveConfig(); cfg.entropyCoef = 0.1
        let res = try oneSequence(cfg, ratios: [1, 1], a: 0) { $0.entropy = [1, 2] }
        XCTAssertEqual(res.loss, -0.1 * 1.5, accuracy: 1e-7)
        XCTAssertEqual(res.dEntropy ?? [], [-0.05, -0.05])
        XCTAssertEqual(res.dLogProbs, [0, 0])
        XCTAssertEqual(res.metrics.entropy!, 1.5, accuracy: 1e-12)
        XCTAssertThrowsError(try oneSequence(cfg, ratios: [1], a: 0))   // entropy missing
    }

    func testBehaviourKLEstimates() throws {
        let res = try oneSequence(ObjectiveConfig(), ratios: [1.5, 0.5], a: 0)
        let l1 = log(seen(1.5)), l2 = log(seen(0.5))
        XCTAssertEqual(res.metrics.klBehaviourK1, -(l1 + l2) / 2, accuracy: 1e-12)
        XCTAssertEqual(res.metrics.klBehaviourK3, ((seen(1.5) - 1 - l1) + (seen(0.5) - 1 - l2)) / 2, accuracy: 1e-12)
    }
}
