// Hand-computed cases for the advantage estimators (ALGORITHMS.md §1.3).
import XCTest
@testable import Objectives

final class AdvantageTests: XCTestCase {
    func testGRPOZScoreUsesPopulationStd() throws {
        // Group 0: rewards 1,0,0,0 → mean 0.25, population std sqrt(0.1875) = 0.4330127
        let a = try AdvantageEstimator.grpo.advantages(rewards: [1, 0, 0, 0], groupIDs: [0, 0, 0, 0], epsStd: 0)
        XCTAssertEqual(a[0], 0.75 / 0.4330127, accuracy: 1e-5)
        XCTAssertEqual(a[1], -0.25 / 0.4330127, accuracy: 1e-5)
    }

    func testAllEqualRewardsGiveZeroAdvantage() throws {
        for est in AdvantageEstimator.allCases {
            let a = try est.advantages(rewards: [0.5, 0.5, 0.5], groupIDs: [7, 7, 7])
            XCTAssertEqual(a, [0, 0, 0], "\(est)")
        }
    }

    func testGroupsNeedNotBeContiguous() throws {
        let a = try AdvantageEstimator.drGRPO.advantages(rewards: [1, 0, 0, 1], groupIDs: [0, 1, 0, 1])
        XCTAssertEqual(a, [0.5, -0.5, -0.5, 0.5])
    }

    func testRLOOLeaveOneOut() throws {
        // R = 1,0,0: baseline for sample 0 is mean(0,0)=0 → 1; for sample 1 mean(1,0)=0.5 → −0.5
        let a = try AdvantageEstimator.rloo.advantages(rewards: [1, 0, 0], groupIDs: [0, 0, 0])
        XCTAssertEqual(a[0], 1, accuracy: 1e-6)
        XCTAssertEqual(a[1], -0.5, accuracy: 1e-6)
        XCTAssertEqual(a[2], -0.5, accuracy: 1e-6)
    }

    func testGBPOMedianBaseline() throws {
        let a = try AdvantageEstimator.gbpo.advantages(rewards: [1, 0, 0, 0.2], groupIDs: [0, 0, 0, 0])
        // sorted 0,0,0.2,1 → median 0.1
        XCTAssertEqual(a[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(a[1], -0.1, accuracy: 1e-6)
    }

    func testNonFiniteRewardRejected() {
        XCTAssertThrowsError(try AdvantageEstimator.grpo.advantages(rewards: [1, .nan], groupIDs: [0, 0])) { e in
            if case .nonFiniteReward(let i, _)? = e as? AdvantageError { XCTAssertEqual(i, 1) } else { XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("reward 1 is not finite"))
        }
        XCTAssertThrowsError(try AdvantageEstimator.grpo.advantages(rewards: [1], groupIDs: [0, 0]))
    }
}
