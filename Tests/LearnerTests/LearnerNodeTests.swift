// The learner and rollout workers in one process (LocalEndpoint, no sockets): training
// advances on workers' groups, every accepted group is trained exactly once, and a restart
// from the state directory loses nothing acknowledged and keeps versions monotonic.

import Foundation
import XCTest
import Wire
import Rollout
import Tasks
@testable import Learner
@testable import Worker

final class LearnerNodeTests: XCTestCase {
    private func config(_ dir: URL, steps: Int) -> LearnerConfig {
        var c = LearnerConfig()
        c.task = "reverse:digits=4"
        c.stateDir = dir.path
        c.groupSize = 4
        c.groupsPerStep = 4
        c.bufferCapacity = 8
        c.steps = steps
        c.checkpointEvery = 2
        c.evalEvery = 0
        c.leaseSeconds = 30
        return c
    }

    func testWorkersDriveTrainingAndRestartLosesNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }

        let node = try await LearnerNode.open(config(dir, steps: 3))
        let v0 = await node.ingest.version
        XCTAssertEqual(v0, 0)
        node.training.start()
        let workers = (0..<2).map { i in RolloutWorker(endpoint: LocalEndpoint(node: node), options: WorkerOptions(name: "w\(i)")) }
        let tasks = workers.map { w in Task { await w.run() } }
        node.training.join()                      // 3 steps of 4 groups
        for w in workers { await w.stop() }
        await node.ingest.shutdown()
        for t in tasks { _ = await t.value }

        let status = node.training.status
        XCTAssertEqual(status.step, 3)
        XCTAssertEqual(Int(status.version.rawValue) + status.stepsWithoutSignal, 3, "a new version for each step that changed the weights")
        let counters = await node.ingest.counters
        var accepted = 0
        for w in workers { accepted += await w.stats.groupsAccepted }
        XCTAssertEqual(counters.accepted, accepted, "every ack the workers saw is counted once")
        XCTAssertGreaterThanOrEqual(accepted, 12)
        let buffered = await node.ingest.buffer.count
        XCTAssertEqual(accepted, 12 + buffered, "accepted = trained (3 steps × 4 groups) + still buffered")
        // Each group reached the learner with its task's reference (PROTOCOL.md §6.5.3).
        let references = await node.ingest.buffer.map { ($0.group.promptIndex, $0.group.reference) }
        for (index, reference) in references {
            let p = node.task.prompt(seed: node.config.seed, index: index, split: .train)
            XCTAssertEqual(reference, node.task.demonstration(for: p).map(Int32.init), "prompt \(index)")
        }
        // Groups arriving after shutdown are refused with shutting_down (their leases are re-issued
        // after a restart); nothing else may be rejected.
        XCTAssertEqual(counters.rejected.filter { $0.key != "shutting_down" }, [:], "\(counters.rejected)")

        // Restart: the buffered (acknowledged, untrained) groups come back from the log, the
        // version continues from the last published one, and training continues.
        let again = try await LearnerNode.open(config(dir, steps: 4))
        XCTAssertEqual(again.restoredGroups, buffered)
        let rebuffered = await again.ingest.buffer.count, v1 = await again.ingest.version
        XCTAssertEqual(rebuffered, buffered)
        // The log keeps the reference (the logged record is the wire group, fields 15–16 included).
        let restored = await again.ingest.buffer.map { ($0.group.promptIndex, $0.group.reference) }
        XCTAssertEqual(restored.map(\.0), references.map(\.0))
        XCTAssertEqual(restored.map(\.1), references.map(\.1))
        XCTAssertGreaterThanOrEqual(v1, status.version)
        let leases = await again.ingest.leases
        XCTAssertEqual(leases.trainedCount, accepted, "every acknowledged group's lease is completed exactly once")
    }

    func testSubmissionsAreValidatedAndDuplicatesRejected() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let node = try await LearnerNode.open(config(dir, steps: 1))
        let ep = LocalEndpoint(node: node)
        let welcome = try await ep.register(RegisterRequest(workerName: "t", softwareVersion: "test"))
        let grant = try await ep.lease(LeaseRequest(workerId: welcome.workerId, maxPrompts: 1, currentVersion: 0))
        let u = try XCTUnwrap(grant.units.first)
        func group(_ tokens: [Int32], lp: Float = -0.5) -> TrajectoryGroup {
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens, policyVersion: 0,
                            workerId: welcome.workerId,
                            samples: (0..<4).map { _ in Sample(tokens: tokens, logProbs: tokens.map { _ in lp }, reward: 0, correct: false, finishReason: .end) })
        }
        let nan = try await ep.submit([group([1, 2], lp: .nan)])
        XCTAssertEqual(nan[0].outcome, .rejected(.nonFiniteValue, message: "sample 0 log-prob 0 is nan; log-probs must be finite and ≤ 0"))
        let oov = try await ep.submit([group([1, 99])])
        guard case .rejected(.tokenOutOfVocabulary, _) = oov[0].outcome else { return XCTFail("\(oov[0].outcome)") }
        let ok = try await ep.submit([group([1, 2])])
        XCTAssertEqual(ok[0].outcome, .accepted)
        let dup = try await ep.submit([group([1, 2])])
        guard case .rejected(.duplicateLease, _) = dup[0].outcome else { return XCTFail("\(dup[0].outcome)") }
        let counters = await node.ingest.counters
        XCTAssertEqual(counters.accepted, 1)
        XCTAssertEqual(counters.rejected["non_finite_value"], 1, "\(counters.rejected)")
        XCTAssertEqual(counters.rejected["duplicate_lease"], 1, "\(counters.rejected)")
        await node.ingest.shutdown()
    }
}
