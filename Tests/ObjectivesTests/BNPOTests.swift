// BNPO Beta-normalised advantages (ALGORITHMS.md §5.4).
import Rollout
import XCTest
import Foundation
@testable import Objectives

final class BNPOTests: XCTestCase {
    func testMomentFitAndNormalisation() throws {
        // Group success rates 0.25, 0.75, 0.5: mean 0.5, var 1/24 → p̄(1−p̄)/var − 1 = 5, a = b = 2.5,
        // α = β = 1 + 2.5/3.
        let rewards: [Float] = [1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0]
        let ids: [Int32] = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        let (adv, stats) = try AdvantageEstimator.bnpo.advantagesWithStats(rewards: rewards, groupIDs: ids)
        let ab = 1 + 2.5 / 3
        XCTAssertEqual(stats.betaAlpha!, ab, accuracy: 1e-9)
        XCTAssertEqual(stats.betaBeta!, ab, accuracy: 1e-9)
        func pdf(_ p: Double) -> Double { pow(p, ab - 1) * pow(1 - p, ab - 1) * tgamma(2 * ab) / (tgamma(ab) * tgamma(ab)) }
        XCTAssertEqual(Double(adv[0]), (1 - 0.25) / pdf(0.25), accuracy: 1e-6)
        XCTAssertEqual(Double(adv[1]), (0 - 0.25) / pdf(0.25), accuracy: 1e-6)
        XCTAssertEqual(Double(adv[8]), 0.5 / pdf(0.5), accuracy: 1e-6)
        XCTAssertEqual(stats.zeroVarianceGroupFraction, 0)
    }

    func testNoSpreadFallsBackToMeanBaseline() throws {
        let (adv, stats) = try AdvantageEstimator.bnpo.advantagesWithStats(rewards: [1, 0, 0, 1], groupIDs: [0, 0, 1, 1])
        XCTAssertEqual(stats.betaAlpha, 1); XCTAssertEqual(stats.betaBeta, 1)
        XCTAssertEqual(adv, [0.5, -0.5, -0.5, 0.5])
        let allSame = try AdvantageEstimator.bnpo.advantages(rewards: [1, 1, 0, 0], groupIDs: [0, 0, 1, 1])
        XCTAssertEqual(allSame, [0, 0, 0, 0])
    }

    func testStatsReachTheMetrics() throws {
        let g = { (r: [Float]) in RolloutGroup(promptIndex: 0, prompt: [1], version: 0, samples: r.map {
            ScoredSample(tokens: [2], logProbs: [-0.3], reward: $0, correct: $0 > 0, finish: .end) }) }
        let tb = try TrainingBatch.assemble([g([1, 0, 0, 0]), g([1, 1, 1, 0]), g([1, 1, 1, 1])], pad: 0, estimator: .bnpo)
        let res = try surrogateLoss(try .preset("bnpo"), batch: tb.tokenBatch(), logProbs: tb.behaviourLogProbs)
        XCTAssertEqual(res.metrics.betaAlpha, tb.advantageStats?.betaAlpha)
        XCTAssertNotNil(res.metrics.betaAlpha)
        XCTAssertEqual(res.metrics.zeroVarianceGroupFraction!, 1.0 / 3, accuracy: 1e-12)
    }
}
