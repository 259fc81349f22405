// A version names a set of weights: a batch without reward signal (no optimizer step) keeps
// the version and publishes nothing, a batch with signal publishes the next one; in sync
// mode the next batch is leased at once after a kept version; checkpoints of the same
// version at different steps, or of one step twice, get different directories (LATEST never
// names a directory being replaced). With dynamic sampling the learner fills each batch with
// groups that carry signal, counting the others as trained.

import Foundation
import Rollout
import Training
import XCTest
import Wire
@testable import Learner

final class VersionPerWeightsTests: XCTestCase {
    /// Groups for `grant` whose samples score `rewards` in turn (all equal: no signal).
    private func groups(_ grant: LeaseGrant, worker: UInt64, version: Int, rewards: [Float]) -> [TrajectoryGroup] {
        grant.units.map { u in
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens,
                            policyVersion: UInt64(version), workerId: worker, samples: rewards.map { r in
                                Sample(tokens: [1, 2], logProbs: [-0.7, -0.7], reward: r, correct: r > 0, finishReason: .end) })
        }
    }

    /// A training sync-mode learner (groups of 2, batches of 2 groups) with one registered worker.
    private func startSyncNode(_ label: String, _ configure: (inout LearnerConfig) -> Void)
        async throws -> (LearnerNode, LocalEndpoint, UInt64) {
        let node = try await openTestNode(label) { c in
            c.groupSize = 2; c.groupsPerStep = 2; c.bufferCapacity = 4; c.sync = true
            configure(&c)
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: label, softwareVersion: "t")).workerId
        node.training.start()
        return (node, ep, w)
    }

    private func waitForStep(_ node: LearnerNode, _ step: Int) async throws {
        for _ in 0..<600 where node.training.status.step < step { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertEqual(node.training.status.step, step, "training did not reach step \(step)")
    }

    private func waitForVersion(_ node: LearnerNode, _ version: Int) async throws {
        for _ in 0..<600 where await node.ingest.version < PolicyVersion(UInt64(version)) { try await Task.sleep(nanoseconds: 50_000_000) }
    }

    func testOnlyStepsThatChangeTheWeightsPublishAVersion() async throws {
        let (node, ep, w) = try await startSyncNode("version-per-weights") { c in c.checkpointEvery = 1 }

        // Step 1: every sample of each group scored alike — no signal, the weights stay.
        var grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        XCTAssertEqual(grant.units.count, 2)
        _ = await node.ingest.submit(groups(grant, worker: w, version: 0, rewards: [0, 0]), from: w)
        try await waitForStep(node, 1)
        XCTAssertEqual(node.training.status.version, 0)
        XCTAssertEqual(node.training.status.stepsWithoutSignal, 1)
        let kept = await node.ingest.version
        XCTAssertEqual(kept, 0, "nothing published for unchanged weights")

        // Sync mode: the next batch is leased for the same version without waiting for a publish.
        grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        XCTAssertEqual(grant.units.count, 2, "a kept version ends the batch in training")
        XCTAssertTrue(grant.units.allSatisfy { $0.policyVersion == 0 })

        // Step 2: one sample right, one wrong — advantages ±1, an optimizer step, version 1.
        _ = await node.ingest.submit(groups(grant, worker: w, version: 0, rewards: [1, 0]), from: w)
        try await waitForStep(node, 2)
        XCTAssertEqual(node.training.status.version, 1)
        XCTAssertEqual(node.training.status.stepsWithoutSignal, 1)
        try await waitForVersion(node, 1)
        let published = await node.ingest.version
        XCTAssertEqual(published, 1)
        XCTAssertEqual(node.training.status.meanStaleness, 0, "trained at the version that generated it")

        await node.ingest.shutdown()
        node.training.join()
        // One checkpoint per step, named by version and step; the shutdown one repeats step 2
        // under a new name (the two newest are kept).
        let store = LearnerStateStore(root: URL(fileURLWithPath: node.config.stateDir))
        let names = try FileManager.default.contentsOfDirectory(atPath: store.checkpoints.path).filter { $0.hasPrefix("v-") }.sorted()
        XCTAssertEqual(names, ["v-00000001-s-00000002", "v-00000001-s-00000002-1"])
        XCTAssertEqual(store.latestCheckpoint()?.lastPathComponent, "v-00000001-s-00000002-1")
    }

    /// Dynamic sampling (ALGORITHMS.md §4.6): groups without signal are taken and counted as
    /// trained but left out of the batch, and the learner waits for more until the batch holds
    /// `groups_per_step` groups with signal; in sync mode it keeps leasing for the same version
    /// meanwhile. The batch dump lists both kinds, so an audit still sees every prompt once.
    func testDynamicSamplingRefillsTheBatchWithGroupsThatCarrySignal() async throws {
        let dumps = FileManager.default.temporaryDirectory.appendingPathComponent("dynamic-dumps-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dumps) }
        let (node, ep, w) = try await startSyncNode("dynamic-sampling") { c in
            c.objectiveSet = "dynamic_sampling=true"; c.dumpBatches = dumps.path
        }

        let first = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        XCTAssertEqual(first.units.count, 2)
        _ = await node.ingest.submit(groups(first, worker: w, version: 0, rewards: [0, 0]), from: w)
        // Both taken and filtered; the batch is not complete, so sync mode leases again.
        var second = LeaseGrant(units: [], retryAfterMs: nil)
        for _ in 0..<100 where second.units.isEmpty {
            second = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: 0))
        }
        XCTAssertEqual(second.units.count, 2, "sync mode leases more while the batch lacks signal")
        XCTAssertEqual(node.training.status.step, 0, "no step from groups without signal")
        _ = await node.ingest.submit(groups(second, worker: w, version: 0, rewards: [1, 0]), from: w)
        try await waitForStep(node, 1)
        XCTAssertEqual(node.training.status.version, 1)
        XCTAssertEqual(node.training.status.groupsTrained, 4, "the filtered groups count as trained")
        XCTAssertEqual(node.training.status.metrics?.dynamicSamplingDroppedFraction, 0.5, "2 of the 4 groups taken were left out")
        let snapshot = await node.ingest.snapshot()
        XCTAssertEqual(snapshot.leasesCompleted, 4)
        await node.ingest.shutdown()
        node.training.join()

        let meta = try BatchFile.read(from: dumps.appendingPathComponent("batch-000000.safetensors")).extra
        let trained = try JSONSerialization.jsonObject(with: Data(meta["prompt_indices"]!.utf8)) as! [Int]
        let filtered = try JSONSerialization.jsonObject(with: Data(meta["filtered_prompt_indices"]!.utf8)) as! [Int]
        XCTAssertEqual(Set(trained), Set(second.units.map { Int($0.promptIndex) }))
        XCTAssertEqual(Set(filtered), Set(first.units.map { Int($0.promptIndex) }))
    }
}
