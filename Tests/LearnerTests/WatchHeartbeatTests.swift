// The Watch heartbeat over real HTTP/2, on a manual clock: an idle watch stream repeats the
// current announcement every `LearnerRPC.watchHeartbeat` seconds of the learner's clock (a
// keep-alive through proxies), and nothing before — without waiting 15 s of wall time.

import Foundation
import XCTest
import Transport
import Wire
@testable import Learner

final class WatchHeartbeatTests: XCTestCase {
    func testIdleWatchRepeatsTheAnnouncementEachHeartbeat() async throws {
        let clock = ManualClock()
        let node = try await openTestNode("heartbeat", clock: clock) { $0.groupSize = 2 }
        var sc = ServerConfiguration()
        sc.tokens = TokenSets(worker: ["w-token"])
        let server = try TransportServer(configuration: sc)
        try LearnerRPC.register(on: server, node: node)
        try await server.start()
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: try XCTUnwrap(server.cleartextPort)))
        let auth: Metadata = ["authorization": "Bearer w-token"]
        let welcome = try Welcome.decode(try await client.unary(path: RPCMethod.register.path, metadata: auth,
                                                                request: RegisterRequest(workerName: "h", softwareVersion: "t").encoded()))
        let call = try await client.call(path: RPCMethod.watch.path, metadata: auth)
        try await call.send(WatchRequest(workerId: welcome.workerId).encoded())
        try await call.finish()
        var responses = call.responses.makeAsyncIterator()
        let first = try await responses.next().map { try PolicyAnnouncement.decode($0) }
        XCTAssertEqual(first?.version, 0)

        await clock.waitForSleepers(1)                        // the heartbeat timer is armed
        clock.advance(LearnerRPC.watchHeartbeat - 1)
        XCTAssertEqual(clock.sleeping, 1, "no heartbeat before the interval")
        clock.advance(1)
        let beat = try await responses.next().map { try PolicyAnnouncement.decode($0) }
        XCTAssertEqual(beat, first, "the heartbeat repeats the current announcement")
        await clock.waitForSleepers(1)                        // and the next one is armed
        clock.advance(LearnerRPC.watchHeartbeat)
        let again = try await responses.next().map { try PolicyAnnouncement.decode($0) }
        XCTAssertEqual(again?.version, 0)

        await node.ingest.shutdown()
        do { while try await responses.next() != nil {} } catch is RPCStatus {}
        await client.close()
        await server.shutdown(grace: 1)
    }
}
