// GHPO end to end over real HTTP/2 on loopback: the learner announces `ghpo_stages` in Welcome,
// a rollout worker resamples the groups it cannot solve with hints (Rollout/Guidance.swift), and
// the learner admits the hinted groups (the lease's prompt followed by a prefix of the task's
// answer, PROTOCOL.md §6.5.3) and trains on them.

import Foundation
import XCTest
import Transport
import Wire
@testable import Learner
@testable import Worker

final class GHPOOverHTTP2Tests: XCTestCase {
    func testHintedGroupsCrossTheWireAndTrain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-ghpo-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var c = LearnerConfig()
        // A fresh policy almost never answers a 2-digit reversal (p ≈ 14⁻³ per sample); after a
        // one-token hint it needs the last digit and the end token (p ≈ 14⁻²), so with G = 64 about a
        // quarter of the groups are solved at each of the 3 stages.
        c.task = "reverse:digits=2"; c.stateDir = dir.path; c.groupSize = 64; c.groupsPerStep = 4
        c.bufferCapacity = 8; c.steps = 4; c.checkpointEvery = 4; c.evalEvery = 0; c.noSignalBatches = 0
        c.objective = "ghpo"
        let node = try await LearnerNode.open(c)
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"], admin: ["a-token"])
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try await server.start()
        let port = try XCTUnwrap(server.cleartextPort)
        let hinted = LockedBox<[Double]>([])
        node.training.onStep = { s in hinted.mutate { $0.append(s.metrics?.ghpoHintedFraction ?? -1) } }

        node.training.start()
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: port))
        let worker = RolloutWorker(endpoint: RemoteEndpoint(client: client, token: "w-token"), options: WorkerOptions(name: "ghpo"))
        let task = Task { await worker.run() }
        node.training.join()
        await worker.stop()
        await node.ingest.shutdown()
        _ = await task.value
        let fractions = hinted.value
        XCTAssertEqual(fractions.count, 4, "one report per step")
        XCTAssertFalse(fractions.contains(-1), "every step reports the hinted fraction: \(fractions)")
        XCTAssertGreaterThan(fractions.reduce(0, +), 0, "hinted groups were admitted and trained: \(fractions)")
        let counters = await node.ingest.counters
        XCTAssertEqual(counters.rejected, [:], "no hinted group was refused")
        let s = await worker.stats
        XCTAssertEqual(s.rejected, [:])
        XCTAssertGreaterThanOrEqual(s.groupsAccepted, 16)
        await client.close()
        await server.shutdown(grace: 1)
    }
}

/// A value shared with a @Sendable callback.
private final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func mutate(_ f: (inout T) -> Void) { lock.withLock { f(&stored) } }
}
