// DAPO dynamic sampling (ALGORITHMS.md §4.6): zero-variance groups are dropped.
import Rollout
import XCTest
@testable import Objectives

final class DAPOTests: XCTestCase {
    private func group(_ rewards: [Float], version: PolicyVersion = 0) -> RolloutGroup {
        RolloutGroup(promptIndex: 0, prompt: [1], version: version, samples: rewards.map {
            ScoredSample(tokens: [2], logProbs: [-0.5], reward: $0, correct: $0 > 0, finish: .end)
        })
    }

    func testFilterDropsZeroVarianceGroups() {
        let (kept, dropped) = dynamicSamplingFilter([group([1, 1]), group([1, 0]), group([0, 0]), group([0, 1])])
        XCTAssertEqual(kept.map { $0.samples.map(\.reward) }, [[1, 0], [0, 1]])
        XCTAssertEqual(dropped, 0.5)
        XCTAssertEqual(dynamicSamplingFilter([]).droppedFraction, 0)
    }

    func testTrainingBatchDropAndKernelMaskAgree() throws {
        let tb = try TrainingBatch.assemble([group([1, 0]), group([1, 1]), group([0, 1])], pad: 0, estimator: .grpo)
        XCTAssertEqual(tb.advantageStats?.zeroVarianceGroupFraction ?? -1, 1.0 / 3, accuracy: 1e-12)
        let (small, dropped) = tb.droppingZeroVarianceGroups()
        XCTAssertEqual(small.count, 4); XCTAssertEqual(dropped, 1.0 / 3, accuracy: 1e-12)
        let cfg = try ObjectiveConfig.preset("dapo")
        // Distinct ratios per token so the loss does not vanish by symmetry.
        let lp = tb.behaviourLogProbs.enumerated().map { $1 + 0.03 * Float($0) }
        let res = try surrogateLoss(cfg, batch: tb.tokenBatch(), logProbs: lp)
        XCTAssertEqual(res.effectiveMask, [0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1])
        XCTAssertEqual(res.metrics.dynamicSamplingDroppedFraction!, 1.0 / 3, accuracy: 1e-12)
        // The token-mean denominator counts only informative tokens: same loss as the small batch.
        let smallLP = [0, 1, 4, 5].flatMap { r in lp[(r * tb.length)..<((r + 1) * tb.length)] }
        let ref = try surrogateLoss(cfg, batch: small.tokenBatch(), logProbs: smallLP)
        XCTAssertNotEqual(ref.loss, 0)
        XCTAssertEqual(res.loss, ref.loss, accuracy: 1e-12)
        var off = cfg; off.dynamicSampling = false
        XCTAssertNotEqual(try surrogateLoss(off, batch: tb.tokenBatch(), logProbs: lp).loss, ref.loss)
    }
}
