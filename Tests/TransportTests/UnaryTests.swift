// Unary RPCs over h2c: round trip, status with message, trailers-only failure, many calls.

import Transport
import Wire
import XCTest

final class UnaryTests: XCTestCase {
    func testUnaryRoundTripOverH2C() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        let reply = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("hello"))
        XCTAssertEqual(text(reply), "hello")
        let call = try await client.call(path: "/t.v1/Unary", metadata: auth)
        try await call.send(bytes("second"))
        try await call.finish()
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.map(text), ["second"])
        XCTAssertEqual(status, .ok)
        XCTAssertEqual(client.connectionsOpened, 1)
        await client.close()
        try await eventually { server.counters.rpcsFinished[.ok, default: 0] == 2 }
        await server.shutdown(grace: 1)
    }

    func testFailureStatusIsTrailersOnlyWithDecodedMessage() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Fail", metadata: auth)
        try await call.send(bytes("x"))
        try await call.finish()
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.count, 0)
        XCTAssertEqual(status, RPCStatus(.failedPrecondition, "nope → 50%"))
        do {
            _ = try await client.unary(path: "/t.v1/Fail", metadata: auth, request: bytes("x"))
            XCTFail("expected a status error")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .failedPrecondition)
        }
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testManyConcurrentUnaryCalls() async throws {
        let server = try await startServer()
        let client = h2cClient(server)
        let n = 300
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<n {
                group.addTask {
                    let r = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("m\(i)"))
                    return text(r) == "m\(i)"
                }
            }
            var ok = 0
            for try await r in group where r { ok += 1 }
            return ok
        }
        XCTAssertEqual(results, n, "\(server.counters)")
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testOneMessageRouteDropsItsMessageWhenTheStatusIsNotOK() async throws {
        let server = try await startServer(routes: { s in
            try s.register(path: "/t.v1/SendThenFail", requestMessages: .one, responseMessages: .one) { request, responder in
                try await responder.send(try await request.message())
                return RPCStatus(.aborted, "changed my mind")
            }
            try s.register(path: "/t.v1/Silent", requestMessages: .one, responseMessages: .one) { _, _ in .ok }
        })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/SendThenFail", metadata: auth)
        try await call.send([1])
        try await call.finish()
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.count, 0, "PROTOCOL.md §3: none when the status is not OK")
        XCTAssertEqual(status.code, .aborted)
        do {
            _ = try await client.unary(path: "/t.v1/Silent", metadata: auth, request: [1])
            XCTFail("OK without the one response message must not pass")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .internal)
        }
        await client.close()
        await server.shutdown(grace: 1)
    }
}
