// Cancellation from either side, peers disappearing mid-stream, graceful GOAWAY with an
// RPC in flight, and reconnecting after the server closed a connection.

import NIOConcurrencyHelpers
@testable import Transport
import Wire
import XCTest

/// What a handler observed when its RPC ended.
final class Observed: Sendable {
    let box = NIOLockedValueBox<(error: RPCStatus?, cancelled: Bool, started: Int)>((nil, false, 0))
    var error: RPCStatus? { box.withLockedValue { $0.error } }
    var cancelled: Bool { box.withLockedValue { $0.cancelled } }
    var started: Int { box.withLockedValue { $0.started } }
}

func registerHang(_ server: TransportServer, _ observed: Observed, release: NIOLockedValueBox<Bool>? = nil) throws {
    try server.register(path: "/t.v1/Hang") { request, responder in
        observed.box.withLockedValue { $0.started += 1 }
        do {
            for try await m in request.messages { try await responder.send(m) }
            // Waits for the test to release it (graceful-shutdown test).
            while let release, !release.withLockedValue({ $0 }) { try await Task.sleep(nanoseconds: 5_000_000) }
            try await responder.send(bytes("done"))
            return .ok
        } catch let s as RPCStatus {
            observed.box.withLockedValue { $0.error = s; $0.cancelled = Task.isCancelled }
            throw s
        }
    }
}

final class CancellationTests: XCTestCase {
    func testClientCancelReachesTheHandler() async throws {
        let observed = Observed()
        let server = try await startServer(routes: { try registerTestRoutes($0); try registerHang($0, observed) })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Hang", metadata: auth)
        try await call.send(bytes("a"))
        var it = call.responses.makeAsyncIterator()
        let echo = try await it.next()
        XCTAssertEqual(echo.map(text), "a")
        call.cancel()
        let status = try await call.status
        XCTAssertEqual(status.code, .cancelled)
        try await eventually { observed.error != nil }
        XCTAssertEqual(observed.error?.code, .cancelled)
        XCTAssertTrue(observed.cancelled, "the handler's task is cancelled")
        try await eventually { server.counters.resetsReceived >= 1 || server.openConnections == 1 }
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testServerResetsAnInactiveStream() async throws {
        let server = try await startServer({ c in
            c.timeouts.streamInactivity = 0.3
            c.tickInterval = 0.05
        })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Bidi", metadata: auth)
        let status = try await call.status // the client never sends: the server gives up
        XCTAssertEqual(status.code, .cancelled, "\(status)")
        XCTAssertEqual(server.counters.count(.streamInactive), 1)
        // The connection itself is fine.
        let reply = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [1])
        XCTAssertEqual(reply, [1])
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testClientDisappearingMidStream() async throws {
        let observed = Observed()
        let server = try await startServer(routes: { try registerHang($0, observed) })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Hang", metadata: auth)
        try await call.send(bytes("a"))
        try await eventually { observed.started == 1 }
        await client.close()
        try await eventually { observed.error != nil }
        XCTAssertNotEqual(observed.error?.code, .ok)
        try await eventually { server.openConnections == 0 }
        await server.shutdown(grace: 1)
    }

    func testServerDisappearingMidStream() async throws {
        let observed = Observed()
        let server = try await startServer(routes: { try registerHang($0, observed) })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Hang", metadata: auth)
        try await call.send(bytes("a"))
        try await eventually { observed.started == 1 }
        await server.shutdown(grace: 0.2) // the RPC never ends by itself
        let status = try await call.status
        XCTAssertTrue([.unavailable, .cancelled].contains(status.code), "\(status)")
        await client.close()
    }

    func testGracefulShutdownLetsInFlightRPCFinish() async throws {
        let observed = Observed()
        let release = NIOLockedValueBox(false)
        let server = try await startServer(routes: { try registerHang($0, observed, release: release) })
        let client = h2cClient(server)
        let call = try await client.call(path: "/t.v1/Hang", metadata: auth)
        try await call.send(bytes("a"))
        try await call.finish()
        try await eventually { observed.started == 1 }
        XCTAssertFalse(server.isShuttingDown)
        let shutdown = Task { await server.shutdown(grace: 30) }
        try await eventually { server.isShuttingDown }
        // New calls are not accepted once GOAWAY arrived (the listener is closed too).
        try await eventually {
            do { _ = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [1]); return false } catch { return true }
        }
        release.withLockedValue { $0 = true }
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.map(text), ["a", "done"])
        XCTAssertEqual(status, .ok)
        await shutdown.value
        XCTAssertEqual(server.openConnections, 0)
        await client.close()
    }

    func testReconnectAfterServerClosedTheConnection() async throws {
        let server = try await startServer({ c in
            c.timeouts.maxAge = 0.3
            c.timeouts.goAwayDelay = 0.05
            c.tickInterval = 0.05
        })
        let client = h2cClient(server)
        let first = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [1])
        XCTAssertEqual(first, [1])
        try await eventually { server.openConnections == 0 }
        let second = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [2])
        XCTAssertEqual(second, [2])
        XCTAssertEqual(client.connectionsOpened, 2)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testBackoffIsBoundedAndGrows() {
        var b = Backoff(initial: 0.1, cap: 1)
        var rng = SystemRandomNumberGenerator()
        for attempt in 0..<12 {
            let d = b.next(using: &rng)
            XCTAssertGreaterThanOrEqual(d, 0)
            XCTAssertLessThanOrEqual(d, min(1, 0.1 * Double(1 << attempt)))
        }
        b.reset()
        XCTAssertEqual(b.attempt, 0)
    }

    func testUnaryRetriesOnceWhenTheServerDidNotProcessTheCall() async throws {
        let raw = GoAwayServer()
        let port = try await raw.start()
        let client = TransportClient(configuration: .init(host: "127.0.0.1", port: port))
        do {
            _ = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: [1])
            XCTFail("the server processes nothing")
        } catch let s as RPCStatus {
            XCTAssertEqual(s.code, .unavailable)
            XCTAssertTrue(s.message.contains("not processed"), s.message)
        }
        XCTAssertEqual(client.connectionsOpened, 2, "one retry on a fresh connection")
        XCTAssertEqual(raw.connections.withLockedValue { $0 }, 2)
        await client.close()
        await raw.stop()
    }
}
