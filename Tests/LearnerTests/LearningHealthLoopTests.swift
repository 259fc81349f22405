// Both training loops stop when learning cannot work, from the same LearningHealth (recorded by
// Training's TrainingStep): here the daemon's loop (injected groups through a LocalEndpoint)
// after N batches in a row without reward signal — also with dynamic sampling, which used to
// wait forever for a group with signal — and not on a run with signal. Throughput counts only
// tokens that went through an update. The offline loop's side is in TrainingTests
// (SyncTrainingTests.swift).

import Foundation
import XCTest
import Policy
import Tasks
import Training
import Wire
@testable import Learner

final class LearningHealthLoopTests: XCTestCase {
    /// Groups for `grant` whose samples score `rewards` in turn (all equal: no signal).
    private func groups(_ grant: LeaseGrant, worker: UInt64, rewards: [Float]) -> [TrajectoryGroup] {
        grant.units.map { u in
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens,
                            policyVersion: u.policyVersion, workerId: worker, samples: rewards.map { r in
                                Sample(tokens: [1, 2], logProbs: [-0.7, -0.7], reward: r, correct: r > 0, finishReason: .end) })
        }
    }

    /// A sync-mode learner (groups of 2, batches of 2 groups) with one registered worker.
    private func start(_ label: String, _ configure: (inout LearnerConfig) -> Void) async throws -> (LearnerNode, LocalEndpoint, UInt64) {
        let node = try await openTestNode(label) { c in
            c.groupSize = 2; c.groupsPerStep = 2; c.bufferCapacity = 4; c.sync = true
            configure(&c)
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: label, softwareVersion: "t")).workerId
        node.training.start()
        return (node, ep, w)
    }

    /// Leases a batch (sync mode: once the previous step's version is out) and submits it with
    /// `rewards` per group.
    private func submitBatch(_ node: LearnerNode, _ ep: LocalEndpoint, _ w: UInt64, rewards: [Float]) async throws {
        var grant = LeaseGrant(units: [], retryAfterMs: nil)
        for _ in 0..<400 where grant.units.isEmpty {
            grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: await node.ingest.version.wire))
            if grant.units.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertEqual(grant.units.count, 2)
        _ = await node.ingest.submit(groups(grant, worker: w, rewards: rewards), from: w)
    }

    private func waitUntil(_ what: String, _ done: () async -> Bool) async throws {
        for _ in 0..<400 { if await done() { return }; try await Task.sleep(nanoseconds: 25_000_000) }
        XCTFail("timed out waiting for \(what)")
    }

    func testTheDaemonLoopStopsAfterNBatchesWithoutSignal() async throws {
        let (node, ep, w) = try await start("no-signal-stop") { c in c.noSignalBatches = 3 }
        // Step 1 has signal: an update, whose throughput counts the 8 completion tokens × 2 epochs.
        try await submitBatch(node, ep, w, rewards: [1, 0])
        try await waitUntil("step 1") { node.training.status.step == 1 }
        let first = node.training.status
        XCTAssertTrue(first.updated)
        XCTAssertEqual(first.trainedTokens, 16)
        XCTAssertGreaterThan(try XCTUnwrap(first.tokensPerSecond), 0)
        XCTAssertEqual(first.tokensPerSecond!, 16 / first.updateSeconds, accuracy: 1e-6 * first.tokensPerSecond!)
        for step in 2...4 {
            try await submitBatch(node, ep, w, rewards: [0, 0])
            try await waitUntil("step \(step)") { node.training.status.step == step }
            let s = node.training.status
            XCTAssertFalse(s.updated)
            XCTAssertNil(s.tokensPerSecond, "a step without an update has no throughput")
            XCTAssertEqual(s.trainedTokens, 0)
        }
        try await waitUntil("training to stop by itself") { node.training.status.finished }
        let s = node.training.status
        let p = try XCTUnwrap(s.stoppedBy)
        XCTAssertEqual(p.kind, .noSignal)
        XCTAssertEqual(p.step, 4)
        XCTAssertTrue(p.message.contains("no reward signal in the last 3 batches"), p.message)
        XCTAssertEqual(s.health.batchesWithoutSignal, 3)
        XCTAssertEqual(node.training.history().map(\.updated), [true, false, false, false])
        XCTAssertEqual(node.training.history().map { $0.tokensPerSecond == nil }, [false, true, true, true])
        let report = await StatusService(node: node).report()
        XCTAssertEqual(report.stoppedBy, p)
        XCTAssertEqual(report.lastStepUpdated, false)
        XCTAssertEqual(report.trainingTokensPerSecond, 0)
        await node.ingest.shutdown()
        node.training.join()
    }

    func testTheDaemonLoopKeepsTrainingWhileBatchesHaveSignal() async throws {
        let (node, ep, w) = try await start("no-signal-healthy") { c in c.noSignalBatches = 2 }
        for step in 1...6 {
            try await submitBatch(node, ep, w, rewards: step % 2 == 0 ? [0, 0] : [1, 0])
            try await waitUntil("step \(step)") { node.training.status.step == step }
        }
        let s = node.training.status
        XCTAssertFalse(s.finished)
        XCTAssertNil(s.stoppedBy)
        XCTAssertNil(s.health.problem)
        XCTAssertEqual(s.stepsWithoutSignal, 3)
        await node.ingest.shutdown()
        node.training.join()
    }

    /// Dynamic sampling takes groups until a batch has signal; after `no_signal_batches` ×
    /// `groups_per_step` groups in a row without, it now reports that many batches without
    /// signal instead of waiting forever.
    func testDynamicSamplingStopsInsteadOfWaitingForever() async throws {
        let (node, ep, w) = try await start("no-signal-dapo") { c in c.objective = "dapo"; c.noSignalBatches = 2 }
        try await submitBatch(node, ep, w, rewards: [1, 1])
        try await submitBatch(node, ep, w, rewards: [1, 1])
        try await waitUntil("training to stop by itself") { node.training.status.finished }
        let s = node.training.status
        XCTAssertEqual(s.health.batchesWithoutSignal, 2)
        XCTAssertEqual(s.stoppedBy?.kind, .noSignal)
        XCTAssertTrue(s.stoppedBy?.message.contains("Every sample was correct") ?? false, s.stoppedBy?.message ?? "")
        XCTAssertEqual(s.step, 0, "no update, no step")
        XCTAssertEqual(s.groupsTrained, 4, "the filtered groups count as trained")
        await node.ingest.shutdown()
        node.training.join()
    }
}
