// `/Submit` as PROTOCOL.md §3 and §9 say, over real HTTP/2 (issue 14): Welcome.maxMessageBytes
// is the limit the learner enforces; groups before a framing error in the same stream are
// processed and acknowledged first (also when they arrive in the same write as the bad
// prefix), and a group that was not acknowledged before the status was not processed.

import Foundation
import XCTest
@testable import Transport
import Wire
@testable import Learner

final class SubmitFramingTests: XCTestCase {
    private var server: TransportServer!
    private var client: TransportClient!
    private var node: LearnerNode!
    private let auth: Metadata = ["authorization": "Bearer w-token"]

    override func setUp() async throws {
        node = try await openTestNode("submit-framing") { $0.groupSize = 2; $0.groupsPerStep = 8; $0.bufferCapacity = 16 }
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"])
        server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try await server.start()
        client = TransportClient(configuration: .init(host: "127.0.0.1", port: server.cleartextPort!))
    }

    override func tearDown() async throws {
        await client.close()
        await server.shutdown(grace: 1)
        await node.ingest.shutdown()
    }

    /// Registers over HTTP/2 and leases `n` prompts; one valid framed group per unit.
    private func framedGroups(_ n: Int) async throws -> (welcome: Welcome, groups: [[UInt8]]) {
        let w = try Welcome.decode(try await client.unary(path: RPCMethod.register.path, metadata: auth,
                                                          request: RegisterRequest(workerName: "f", softwareVersion: "t").encoded()))
        let grant = try LeaseGrant.decode(try await client.unary(path: RPCMethod.lease.path, metadata: auth,
                                                                 request: LeaseRequest(workerId: w.workerId, maxPrompts: UInt32(n), currentVersion: 0).encoded()))
        XCTAssertEqual(grant.units.count, n)
        let groups = try validGroups(grant, worker: w.workerId, version: 0, groupSize: 2).map {
            try $0.framed(maxMessageBytes: RPCMethod.submit.maxRequestBytes)
        }
        return (w, groups)
    }

    private func submitRaw(_ bytes: [UInt8], end: Bool) async throws -> ([SubmitAck], RPCStatus) {
        let call = try await client.call(path: RPCMethod.submit.path, metadata: auth)
        try? await call.sendRaw(bytes, endStream: end)
        var acks: [SubmitAck] = []
        do { for try await m in call.responses { acks.append(try SubmitAck.decode(m)) } } catch is RPCStatus {}
        let status = try await call.status
        if !end { call.cancel() }
        return (acks, status)
    }

    func testWelcomeAnnouncesTheEnforcedLimit() async throws {
        let (welcome, _) = try await framedGroups(1)
        XCTAssertEqual(Int(welcome.maxMessageBytes), RPCMethod.submit.maxRequestBytes)
        XCTAssertEqual(welcome.modelConfigJSON.map { Array($0) }, node.modelConfigJSON, "Welcome carries config.json")
        // A message of exactly the announced size passes the framing limit (the learner decodes
        // it — here it is not a group); one byte more is RESOURCE_EXHAUSTED before any byte of it.
        let atLimit = Framer.prefix(length: Int(welcome.maxMessageBytes)) + [UInt8](repeating: 0, count: Int(welcome.maxMessageBytes))
        let (_, s1) = try await submitRaw(atLimit, end: true)
        XCTAssertEqual(s1.code, .invalidArgument, "decoded (and refused as a message), not refused for its size: \(s1)")
        let (_, s2) = try await submitRaw(Framer.prefix(length: Int(welcome.maxMessageBytes) + 1), end: false)
        XCTAssertEqual(s2.code, .resourceExhausted, "\(s2)")
    }

    func testGroupInTheSameWriteAsAnOversizedPrefixIsProcessedAndAcked() async throws {
        let (_, groups) = try await framedGroups(1)
        let (acks, status) = try await submitRaw(groups[0] + Framer.prefix(length: RPCMethod.submit.maxRequestBytes + 1), end: false)
        XCTAssertEqual(status.code, .resourceExhausted, "\(status)")
        XCTAssertEqual(acks.map(\.outcome), [.accepted], "the group before the bad prefix is acknowledged")
        let accepted = await node.ingest.counters.accepted
        XCTAssertEqual(accepted, 1)
    }

    func testGroupBeforeATruncatedOneIsAckedAndTheTruncatedOneNotProcessed() async throws {
        let (_, groups) = try await framedGroups(2)
        let (acks, status) = try await submitRaw(groups[0] + Array(groups[1].prefix(groups[1].count - 3)), end: true)
        XCTAssertEqual(status.code, .invalidArgument, "\(status)")
        XCTAssertEqual(acks.map(\.outcome), [.accepted], "processed means acknowledged")
        let accepted = await node.ingest.counters.accepted
        XCTAssertEqual(accepted, 1, "the truncated group was not processed")
        let buffered = await node.ingest.buffer.map(\.group.promptIndex)
        XCTAssertEqual(buffered.count, 1)
    }

    func testUnknownWorkerEndsTheStreamAfterTheGroupsBeforeIt() async throws {
        let (welcome, groups) = try await framedGroups(1)
        let phantom = [TrajectoryGroup(leaseId: 1, promptIndex: 0, promptTokens: [], policyVersion: 0, workerId: welcome.workerId + 99,
                                   samples: (0..<2).map { _ in Sample(tokens: [1], logProbs: [-1], reward: 0, correct: false, finishReason: .end) })]
        let bytes = groups[0] + (try phantom[0].framed(maxMessageBytes: RPCMethod.submit.maxRequestBytes))
        let (acks, status) = try await submitRaw(bytes, end: true)
        XCTAssertEqual(status.code, .notFound, "\(status)")
        XCTAssertEqual(acks.map(\.outcome), [.accepted])
        let unknown = await node.ingest.counters.unknownWorkerRequests
        XCTAssertEqual(unknown, 1)
    }
}

extension SubmitFramingTests {
    /// When the learner stops (shutdown, or it reached its target and exits) a Watch stream
    /// ends with UNAVAILABLE (PROTOCOL.md §3), after the current announcement.
    func testWatchEndsWithUnavailableWhenTheLearnerStops() async throws {
        let (welcome, _) = try await framedGroups(1)
        let call = try await client.call(path: RPCMethod.watch.path, metadata: auth)
        try await call.send(WatchRequest(workerId: welcome.workerId).encoded())
        try await call.finish()
        var iterator = call.responses.makeAsyncIterator()
        let first = try await iterator.next().map { try PolicyAnnouncement.decode($0) }
        XCTAssertEqual(first?.version, 0)
        await node.ingest.shutdown()
        do { while try await iterator.next() != nil {} } catch is RPCStatus {}
        let status = try await call.status
        XCTAssertEqual(status.code, .unavailable, "\(status)")
    }
}
