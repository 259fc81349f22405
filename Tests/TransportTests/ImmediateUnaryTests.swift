// Immediate unary routes (`registerImmediateUnary`): the handler runs in place on the event
// loop, yet the route keeps every rule of an ordinary one — message count, size limit, auth,
// statuses as trailers, counters — over real sockets, through curl, and in-process.

import Foundation
import NIOConcurrencyHelpers
@testable import Transport
import Wire
import XCTest

final class ImmediateUnaryTests: XCTestCase {
    /// `/t.v1/Now` answers with its request reversed, plus what it saw of the call;
    /// `/t.v1/NowFail` ends with `failedPrecondition` carrying the request as text.
    private func routes(_ calls: NIOLockedValueBox<Int>) -> (TransportServer) throws -> Void {
        { server in
            try server.registerImmediateUnary(path: "/t.v1/Now", maxMessageBytes: 64) { call in
                calls.withLockedValue { $0 += 1 }
                let seen = "|\(call.path)|\(call.authenticatedAs)|\(call.metadata["x-extra"] ?? "-")|\(call.peer.isEmpty ? "no peer" : "peer")"
                return .success(call.message.reversed() + Array(seen.utf8))
            }
            try server.registerImmediateUnary(path: "/t.v1/NowFail") { call in
                calls.withLockedValue { $0 += 1 }
                return .failure(RPCStatus(.failedPrecondition, "refused \(String(decoding: call.message, as: UTF8.self))"))
            }
        }
    }

    func testAnswersInPlaceWithTheCallsHeadAndCountsIt() async throws {
        let calls = NIOLockedValueBox(0)
        let server = try await startServer(routes: routes(calls))
        let client = h2cClient(server)
        var md = auth
        md["x-extra"] = "e1"
        let reply = try await client.unary(path: "/t.v1/Now", metadata: md, request: bytes("abc"))
        XCTAssertEqual(text(reply), "cba|/t.v1/Now|worker|e1|peer")
        // Many at once on one connection: each gets its own answer.
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask { text(try await client.unary(path: "/t.v1/Now", metadata: auth, request: bytes("\(i)x"))).hasPrefix("x\(String(String(i).reversed()))|") }
            }
            var n = 0
            for try await r in group where r { n += 1 }
            return n
        }
        XCTAssertEqual(ok, 200)
        XCTAssertEqual(calls.withLockedValue { $0 }, 201)
        XCTAssertEqual(server.counters.rpcsStarted, 201)
        XCTAssertEqual(server.counters.rpcsFinished[.ok, default: 0], 201)
        XCTAssertEqual(server.counters.handlersRunning, 0)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testAFailureIsATrailersOnlyStatusWithoutMessage() async throws {
        let server = try await startServer(routes: routes(NIOLockedValueBox(0)))
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/NowFail", metadata: auth)
        try await call.send(bytes("it"))
        try await call.finish()
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.count, 0)
        XCTAssertEqual(status, RPCStatus(.failedPrecondition, "refused it"))
        XCTAssertEqual(server.counters.rpcsFinished[.failedPrecondition, default: 0], 1)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testMessageCountSizeAndTokenRulesHoldWithoutCallingTheHandler() async throws {
        let calls = NIOLockedValueBox(0)
        let server = try await startServer(routes: routes(calls))
        let client = h2cClient(server)
        func status(_ metadata: Metadata, _ messages: [[UInt8]]) async throws -> RPCStatus {
            do {
                let call = try await client.call(path: "/t.v1/Now", metadata: metadata)
                for m in messages { try await call.send(m) }
                try await call.finish()
                return try await collect(call).1
            } catch let s as RPCStatus {
                return s   // a refusal may already surface while sending
            }
        }
        let none = try await status(auth, [])
        XCTAssertEqual(none.code, .invalidArgument, "\(none)")
        let two = try await status(auth, [[1], [2]])
        XCTAssertEqual(two.code, .invalidArgument, "\(two)")
        let big = try await status(auth, [[UInt8](repeating: 7, count: 65)])
        XCTAssertEqual(big.code, .resourceExhausted, "\(big)")
        let anonymous = try await status([:], [[1]])
        XCTAssertEqual(anonymous.code, .unauthenticated, "\(anonymous)")
        XCTAssertEqual(calls.withLockedValue { $0 }, 0, "the handler ran for a refused call")
        XCTAssertEqual(server.counters.count(.wrongMessageCount), 2)
        XCTAssertEqual(server.counters.count(.messageTooLarge), 1)
        XCTAssertEqual(server.counters.count(.unauthenticated), 1)
        // The connection still serves.
        let reply = try await client.unary(path: "/t.v1/Now", metadata: auth, request: [9])
        XCTAssertEqual(reply.first, 9)
        XCTAssertEqual(calls.withLockedValue { $0 }, 1)
        await client.close()
        await server.shutdown(grace: 1)
    }

    /// A send or finish after the server ended the call throws the server's status (here
    /// `unauthenticated`), not a generic client-side `cancelled`.
    func testSendAfterTheServerRefusedThrowsItsStatus() async throws {
        let server = try await startServer(routes: routes(NIOLockedValueBox(0)))
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Now", metadata: [:])
        let (_, status) = try await collect(call)            // trailers-only: no token
        XCTAssertEqual(status.code, .unauthenticated)
        for attempt in ["send", "finish"] {
            do {
                if attempt == "send" { try await call.send([1]) } else { try await call.finish() }
                XCTFail("\(attempt) after the end must throw")
            } catch let s as RPCStatus {
                XCTAssertEqual(s.code, .unauthenticated, "\(attempt): \(s)")
            }
        }
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testCurlCallsIt() async throws {
        let server = try await startServer(routes: routes(NIOLockedValueBox(0)))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("immediate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(Framer.prefix(length: 2) + bytes("hi")).write(to: file)
        let (rc, out, err) = try runTool("/usr/bin/curl", [
            "-s", "--http2-prior-knowledge", "-H", "content-type: \(WireProtocol.contentType)",
            "-H", "authorization: Bearer \(workerToken)", "--data-binary", "@\(file.path)",
            "http://127.0.0.1:\(server.cleartextPort!)/t.v1/Now"])
        XCTAssertEqual(rc, 0, err)
        let answer = bytes("ih|/t.v1/Now|worker|-|peer")
        XCTAssertEqual(Array(out.utf8), Framer.prefix(length: answer.count) + answer)
        await server.shutdown(grace: 1)
    }

    func testInProcessTransportCallsTheSameHandler() async throws {
        let server = try TransportServer(configuration: testConfiguration())
        try routes(NIOLockedValueBox(0))(server)
        let t = InProcessTransport(server: server)
        let reply = try await t.unary(path: "/t.v1/Now", metadata: auth, request: bytes("ab"))
        XCTAssertEqual(text(reply), "ba|/t.v1/Now|worker|-|peer")
        do {
            _ = try await t.unary(path: "/t.v1/NowFail", metadata: auth, request: bytes("x"))
            XCTFail("expected failedPrecondition")
        } catch let s as RPCStatus {
            XCTAssertEqual(s, RPCStatus(.failedPrecondition, "refused x"))
        }
    }
}
