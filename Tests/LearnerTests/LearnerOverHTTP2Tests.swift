// The learner's RPCs over real HTTP/2 on loopback: two rollout workers train through a
// TransportServer, every call authenticated with a worker token; a wrong token is refused. The
// objective is RPO, so the workers' reference answers must cross the wire for it to train.

import Foundation
import XCTest
import Transport
import Wire
@testable import Learner
@testable import Worker

final class LearnerOverHTTP2Tests: XCTestCase {
    func testWorkersTrainThroughHTTP2() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-h2-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var c = LearnerConfig()
        c.task = "reverse:digits=4"; c.stateDir = dir.path; c.groupSize = 4; c.groupsPerStep = 4
        c.bufferCapacity = 8; c.steps = 2; c.checkpointEvery = 1; c.evalEvery = 0
        // RPO trains on the task's demonstrations, which only the workers' groups carry (PROTOCOL.md
        // §6.5.3): its metrics show they arrived over HTTP/2.
        c.objective = "rpo"
        let node = try await LearnerNode.open(c)
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"], admin: ["a-token"])
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try await server.start()
        let port = try XCTUnwrap(server.cleartextPort)

        // A wrong token is refused before anything reaches the learner.
        let bad = RemoteEndpoint(client: TransportClient(configuration: .init(host: "127.0.0.1", port: port)), token: "nope")
        do {
            _ = try await bad.register(RegisterRequest(workerName: "intruder", softwareVersion: "x"))
            XCTFail("a bad token must be refused")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .unauthenticated)
        }

        node.training.start()
        let clients = (0..<2).map { _ in TransportClient(configuration: .init(host: "127.0.0.1", port: port)) }
        let workers = clients.enumerated().map { i, client in
            RolloutWorker(endpoint: RemoteEndpoint(client: client, token: "w-token"), options: WorkerOptions(name: "h2-\(i)"))
        }
        let tasks = workers.map { w in Task { await w.run() } }
        node.training.join()
        for w in workers { await w.stop() }
        await node.ingest.shutdown()
        for t in tasks { _ = await t.value }
        XCTAssertEqual(node.training.status.step, 2)
        let metrics = try XCTUnwrap(node.training.status.metrics, "the last step updated")
        XCTAssertGreaterThan(metrics.demonstrationTokens ?? 0, 0, "demonstration rows from the workers' references")
        XCTAssertNotNil(metrics.sftTerm)
        var accepted = 0
        for w in workers {
            let s = await w.stats
            accepted += s.groupsAccepted
            XCTAssertGreaterThanOrEqual(s.policiesFetched, 1, "each worker fetched a policy over HTTP/2")
        }
        let counters = await node.ingest.counters
        XCTAssertEqual(counters.accepted, accepted)
        XCTAssertGreaterThanOrEqual(accepted, 8)
        XCTAssertGreaterThanOrEqual(server.counters.rejected[.unauthenticated] ?? 0, 1)
        for client in clients { await client.close() }
        await server.shutdown(grace: 1)
    }
}
