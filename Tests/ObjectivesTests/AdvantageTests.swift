// The advantage estimators in general (Advantages.swift): equal rewards, group order, bad input.
// Each estimator's own formula is tested with its objective (GRPOTests, DrGRPOTests, RLOOTests,
// GBPOTests, BNPOTests).
import XCTest
@testable import Objectives

final class AdvantageTests: XCTestCase {
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

    func testNonFiniteRewardRejected() {
        XCTAssertThrowsError(try AdvantageEstimator.grpo.advantages(rewards: [1, .nan], groupIDs: [0, 0])) { e in
            if case .nonFiniteReward(let i, _)? = e as? AdvantageError { XCTAssertEqual(i, 1) } else { XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("reward 1 is not finite"))
        }
        XCTAssertThrowsError(try AdvantageEstimator.grpo.advantages(rewards: [1], groupIDs: [0, 0]))
    }
}
