// Shared set-up of the in-process learner tests: a LearnerNode on the `reverse:digits=4`
// task in a temporary state directory (removed after the test, no evaluation), and valid
// groups for the work units of a lease grant.

import Foundation
import XCTest
import Wire
@testable import Learner

extension XCTestCase {
    /// Opens a learner whose configuration `configure` adjusts, on `clock` (the wall clock
    /// unless a test passes a manual one); its state directory goes away with the test.
    func openTestNode(_ label: String, clock: any LearnerClock = SystemClock(),
                      _ configure: (inout LearnerConfig) -> Void) async throws -> LearnerNode {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var c = LearnerConfig()
        c.task = "reverse:digits=4"
        c.stateDir = dir.path
        c.evalEvery = 0
        configure(&c)
        return try await LearnerNode.open(c, clock: clock)
    }
}

/// One admissible group per unit of `grant`: `groupSize` two-token samples with reward 0.
func validGroups(_ grant: LeaseGrant, worker: UInt64, version: UInt64, groupSize: Int) -> [TrajectoryGroup] {
    grant.units.map { u in
        TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens, policyVersion: version,
                        workerId: worker, samples: (0..<groupSize).map { _ in
                            Sample(tokens: [1, 2], logProbs: [-0.5, -0.5], reward: 0, correct: false, finishReason: .end) })
    }
}
