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

/// Routes with `runsOnEventLoop` run their handler on the connection's NIO event-loop thread
/// (NIO names them `NIO-ELT-…`); default routes run on the concurrency pool. Both answer the same.
final class EventLoopHandlerTests: XCTestCase {
    func testRunsOnEventLoopPlacesTheHandlerOnTheLoopThread() async throws {
        let whereAmI: RPCHandler = { request, responder in
            _ = try await request.message()
            try await responder.send(bytes(currentThreadName()))
            return .ok
        }
        let server = try await startServer(routes: { server in
            try server.register(path: "/t.v1/OnLoop", options: RouteOptions(auth: .worker, requestMessages: .one, responseMessages: .one,
                                                                             runsOnEventLoop: true), handler: whereAmI)
            try server.register(path: "/t.v1/OnPool", options: RouteOptions(auth: .worker, requestMessages: .one, responseMessages: .one),
                                handler: whereAmI)
        })
        let client = h2cClient(server)
        for _ in 0..<20 {
            let onLoop = text(try await client.unary(path: "/t.v1/OnLoop", metadata: auth, request: bytes("x")))
            let onPool = text(try await client.unary(path: "/t.v1/OnPool", metadata: auth, request: bytes("x")))
            XCTAssertTrue(onLoop.hasPrefix("NIO-ELT-"), "on-loop handler ran on '\(onLoop)'")
            XCTAssertFalse(onPool.hasPrefix("NIO-ELT-"), "pool handler ran on '\(onPool)'")
        }
        XCTAssertEqual(server.counters.rpcsFinished[.ok, default: 0], 40)
        await client.close()
        await server.shutdown(grace: 1)
    }
}

/// The calling thread's name (a synchronous function: `Thread.current` is not for async code).
func currentThreadName() -> String { Thread.current.name ?? "" }
