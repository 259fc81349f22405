// The daemon's training loop runs Training's one training step: its staleness figure is the
// step's (learner version at training time minus each group's behaviour version, mean per
// group) for the groups it trained, and its version goes up only with an update — the same
// rules as the `train` command's loop (TrainingTests: TrainingStepTests, SyncTrainingTests).

import Foundation
import Rollout
import XCTest
import Objectives
import Training
import Wire
@testable import Learner

final class DaemonStepTests: XCTestCase {
    private func waitUntil(_ what: String, _ done: () async -> Bool) async throws {
        for _ in 0..<400 { if await done() { return }; try await Task.sleep(nanoseconds: 25_000_000) }
        XCTFail("timed out waiting for \(what)")
    }

    /// Groups for `grant`, the k-th sampled at `versions[k]`, each with rewards `rewards`.
    private func groups(_ grant: LeaseGrant, worker: UInt64, versions: [UInt64], rewards: [Float]) -> [TrajectoryGroup] {
        zip(grant.units, versions).map { u, v in
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens,
                            policyVersion: v, workerId: worker, samples: rewards.map { r in
                                Sample(tokens: [1, 2], logProbs: [-0.7, -0.7], reward: r, correct: r > 0, finishReason: .end) })
        }
    }

    private func lease(_ ep: LocalEndpoint, _ node: LearnerNode, _ w: UInt64) async throws -> LeaseGrant {
        var grant = LeaseGrant(units: [], retryAfterMs: nil)
        for _ in 0..<400 where grant.units.count < 2 {
            grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: await node.ingest.version.wire))
            if grant.units.count < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertEqual(grant.units.count, 2)
        return grant
    }

    func testTheDaemonsStalenessAndVersionAreTheTrainingStepsRules() async throws {
        let node = try await openTestNode("daemon-step") { c in
            c.groupSize = 2; c.groupsPerStep = 2; c.bufferCapacity = 4; c.sync = true; c.noSignalBatches = 0
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: "daemon-step", softwareVersion: "t")).workerId
        node.training.start()

        // Step 1 at version 0 with signal: an update, version 1.
        let g1 = try await lease(ep, node, w)
        _ = await node.ingest.submit(groups(g1, worker: w, versions: [0, 0], rewards: [1, 0]), from: w)
        try await waitUntil("step 1") { node.training.status.step == 1 }
        XCTAssertEqual(node.training.status.version, 1)
        try await waitUntil("version 1 published") { await node.ingest.version == 1 }

        // Step 2 trained at version 1: one group sampled at 1, one at 0 → staleness 0 and 1.
        let g2 = try await lease(ep, node, w)
        let sent = groups(g2, worker: w, versions: [1, 0], rewards: [0, 0])
        _ = await node.ingest.submit(sent, from: w)
        try await waitUntil("step 2") { node.training.status.step == 2 }
        let s = node.training.status
        let rollouts = sent.map { g in
            RolloutGroup(promptIndex: Int(g.promptIndex), prompt: g.promptTokens, version: PolicyVersion(wire: g.policyVersion), samples: [])
        }
        XCTAssertEqual(s.meanStaleness, TrainingStep.meanStaleness(rollouts, learnerVersion: 1))
        XCTAssertEqual(s.meanStaleness, 0.5)
        XCTAssertFalse(s.updated, "no signal, no update")
        XCTAssertEqual(s.version, 1, "no update: the version stays")
        XCTAssertEqual(node.training.history().map(\.meanStaleness), [0, 0.5])
        XCTAssertEqual(node.training.history().map(\.version), [1, 1])
        await node.ingest.shutdown()
        node.training.join()
    }
}
