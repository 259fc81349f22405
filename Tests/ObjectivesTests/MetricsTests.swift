// The metrics panel (ALGORITHMS.md §6): flat JSON, quantiles, effective sample size.
import XCTest
import Foundation
@testable import Objectives

final class MetricsTests: XCTestCase {
    func testQuantilesInterpolate() {
        let xs = [0.5, 0.8, 1, 1.2, 2]
        XCTAssertEqual(quantile(sorted: xs, 0.5), 1)
        XCTAssertEqual(quantile(sorted: xs, 0.05), 0.5 + 0.2 * 0.3, accuracy: 1e-12)
        XCTAssertEqual(quantile(sorted: xs, 1), 2)
        XCTAssertEqual(quantile(sorted: [], 0.5), 0)
    }

    func testEffectiveSampleSize() throws {
        let res = try oneSequence(ObjectiveConfig(), ratios: [1, 3], a: 1)
        let (a, b) = (1.0, seen(3))
        XCTAssertEqual(res.metrics.effectiveSampleSize, (a + b) * (a + b) / (2 * (a * a + b * b)), accuracy: 1e-12)
        XCTAssertEqual(try oneSequence(ObjectiveConfig(), ratios: [1, 1], a: 1).metrics.effectiveSampleSize, 1)
    }

    func testFlatJSONRoundTrip() throws {
        let (batch, lp) = randomBatch(seed: 3)
        let cfg = try ObjectiveConfig.parse(name: "r2vpo", overrides: ["staleness_cap": "2", "kl_coef": "0.01"])
        let res = try surrogateLoss(cfg, batch: batch, logProbs: lp)
        let data = try JSONEncoder().encode(res.metrics)
        let obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ["ratio_q01", "ratio_q999", "ratio_var_central", "ratio_var_one", "lambda", "kl_reference",
                    "staleness_count_0", "staleness_count_8plus", "staleness_weight_3", "zero_variance_group_fraction",
                    "effective_sample_size", "kl_behaviour_k3", "dual_clip_fraction", "tokens"] {
            XCTAssertNotNil(obj[key], key)
        }
        XCTAssertTrue(obj.values.allSatisfy { $0 is NSNumber }, "flat: numbers only")
        XCTAssertNil(obj["beta_alpha"], "inactive pieces are absent")
        XCTAssertEqual(try JSONDecoder().decode(ObjectiveMetrics.self, from: data), res.metrics)
        XCTAssertEqual(res.metrics.stalenessCounts?.reduce(0, +), 12)
    }

    func testBehaviourKLEstimates() throws {
        let res = try oneSequence(ObjectiveConfig(), ratios: [1.5, 0.5], a: 0)
        let l1 = log(seen(1.5)), l2 = log(seen(0.5))
        XCTAssertEqual(res.metrics.klBehaviourK1, -(l1 + l2) / 2, accuracy: 1e-12)
        XCTAssertEqual(res.metrics.klBehaviourK3, ((seen(1.5) - 1 - l1) + (seen(0.5) - 1 - l2)) / 2, accuracy: 1e-12)
    }
}
