// Group commit: the groups of one submission are admitted one by one (each gets its own ack
// or typed rejection, in order) and the admitted ones are logged with a single fsync. Over
// HTTP/2, the groups of a Submit stream that have arrived are submitted together, and the
// good groups before a malformed message are still logged and acknowledged.

import Foundation
import XCTest
import Transport
import Wire
@testable import Learner
@testable import Worker

final class GroupCommitTests: XCTestCase {
    private func open() async throws -> LearnerNode {
        try await openTestNode("groupcommit") { c in c.groupSize = 2; c.groupsPerStep = 4; c.bufferCapacity = 64 }
    }

    private func groups(_ grant: LeaseGrant, worker: UInt64, version: UInt64) -> [TrajectoryGroup] {
        validGroups(grant, worker: worker, version: version, groupSize: 2)
    }

    /// nil for accepted, else the rejection reason.
    private func reason(_ ack: SubmitAck) -> RejectionReason? {
        if case let .rejected(r, _) = ack.outcome { return r }
        return nil
    }

    func testOneSubmissionIsOneFsyncWithAnAckPerGroupInOrder() async throws {
        let node = try await open()
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: "g", softwareVersion: "t")).workerId
        let v = await node.ingest.version.wire
        var gs = groups(try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 5, currentVersion: v)), worker: w, version: v)
        XCTAssertEqual(gs.count, 5)
        let duplicate = gs[1]
        let o = gs[3]
        gs[3] = TrajectoryGroup(leaseId: o.leaseId, promptIndex: o.promptIndex, promptTokens: o.promptTokens, policyVersion: v,
                                workerId: w, samples: (0..<2).map { _ in
                                    Sample(tokens: [999, 2], logProbs: [-0.5, -0.5], reward: 0, correct: false, finishReason: .end) })
        gs.insert(duplicate, at: 2)
        let before = await node.ingest.counters
        let acks = await node.ingest.submit(gs, from: w)
        XCTAssertEqual(acks.map(\.leaseId), gs.map(\.leaseId))
        XCTAssertEqual(acks.map(reason), [nil, nil, .duplicateLease, nil, .tokenOutOfVocabulary, nil])
        let after = await node.ingest.counters
        XCTAssertEqual(after.accepted - before.accepted, 4)
        XCTAssertEqual(after.walSyncs - before.walSyncs, 1, "four groups, one fsync")
        let snapshot = await node.ingest.snapshot()
        XCTAssertEqual(snapshot.buffered, 4)
        XCTAssertEqual(snapshot.leasesCompleted, 4)
        // The rejected lease (bad tokens) is still outstanding and can be submitted correctly.
        XCTAssertEqual(snapshot.outstandingLeases, 1)
        await node.ingest.shutdown()
    }

    func testOverHTTP2TheGroupsBeforeAMalformedMessageAreAcknowledged() async throws {
        let node = try await open()
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w"], admin: [])
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try await server.start()
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: try XCTUnwrap(server.cleartextPort)))
        let ep = RemoteEndpoint(client: client, token: "w")
        let w = try await ep.register(RegisterRequest(workerName: "g", softwareVersion: "t")).workerId
        let v = await node.ingest.version.wire
        let gs = groups(try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 3, currentVersion: v)), worker: w, version: v)
        // All at once on one stream: three groups, then bytes that are not a group.
        let call = try await client.call(path: RPCMethod.submit.path, metadata: ["authorization": "Bearer w"])
        for g in gs { try await call.send(g.encoded()) }
        try await call.send([0xFF, 0x00, 0x13])
        try await call.finish()
        var acks: [SubmitAck] = []
        var status = RPCStatus(.ok)
        do {
            for try await m in call.responses { acks.append(try SubmitAck.decode(m)) }
            status = try await call.status
        } catch let s as RPCStatus { status = s }
        XCTAssertEqual(acks.map(reason), [nil, nil, nil])
        XCTAssertEqual(status.code, .invalidArgument, "\(status)")
        let counters = await node.ingest.counters
        XCTAssertEqual(counters.accepted, 3)
        XCTAssertLessThanOrEqual(counters.walSyncs, 3)
        await client.close()
        await node.ingest.shutdown()
        await server.shutdown(grace: 1)
    }
}
