// PolicyVersion (the one staleness formula) and the one wire mapping of the RL data model.

import Foundation
import Policy
import Rollout
import Wire
import XCTest

final class PolicyVersionTests: XCTestCase {
    func testStalenessIsLearnerMinusBehaviourForAnyTwoVersions() {
        XCTAssertEqual(PolicyVersion(7).staleness(at: 10), 3)
        XCTAssertEqual(PolicyVersion(10).staleness(at: 10), 0)
        XCTAssertEqual(PolicyVersion(12).staleness(at: 10), -2, "data from a version the learner has not reached")
        XCTAssertLessThan(PolicyVersion(.max).staleness(at: 10), 0, "never wraps round into a small positive staleness")
        XCTAssertEqual(PolicyVersion(0).staleness(at: PolicyVersion(.max)), Int.max, "clamped")
        XCTAssertEqual(PolicyVersion(5).next, 6)
        XCTAssertEqual(PolicyVersion(5).back(2), 3)
        XCTAssertEqual(PolicyVersion(1).back(4), .initial, "never below the first version")
    }

    func testCodesAsAPlainNumber() throws {
        let json = try JSONEncoder().encode(["version": PolicyVersion(42)])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"{"version":42}"#)
        XCTAssertEqual(try JSONDecoder().decode([String: PolicyVersion].self, from: Data(#"{"v":7}"#.utf8))["v"], 7)
    }

    func testAWireGroupRoundTripsThroughTheDataModel() throws {
        let samples = [
            Sample(tokens: [3, 4, 2], logProbs: [-0.5, -1, -0.25], reward: 1, correct: true, finishReason: .end),
            Sample(tokens: [5], logProbs: [-2], reward: -0.5, correct: false, finishReason: .length),
            Sample(tokens: [6, 7], logProbs: [-1, -1], reward: 0, correct: false, finishReason: .error),
        ]
        let wire = TrajectoryGroup(leaseId: 9, promptIndex: 12, promptTokens: [1, 8], policyVersion: 33, workerId: 4,
                                   samples: samples, rewardComponents: [])
        let group = RolloutGroup(wire)
        XCTAssertEqual(group.version, 33)
        XCTAssertEqual(group.promptIndex, 12)
        XCTAssertEqual(group.samples.map(\.finish), [.end, .length, .error])
        XCTAssertEqual(group.samples.map(\.tokens), [[3, 4, 2], [5], [6, 7]])
        XCTAssertTrue(group.hasSignal)
        XCTAssertEqual(group.wireSamples(), samples, "back to the same wire samples")
        XCTAssertEqual(FinishReason.stop.wire, .end, "a stop string travels as an end")
        for code in FinishCode.allCases { XCTAssertEqual(FinishReason(wire: code).wire, code) }
    }

    func testOneDefinitionOfSignal() {
        XCTAssertTrue(rewardsHaveSignal([0, 0.5] as [Float]))
        XCTAssertFalse(rewardsHaveSignal([1, 1, 1] as [Float]))
        XCTAssertFalse(rewardsHaveSignal([Float]()))
    }
}
