// Client keepalive: a peer that stops answering (hung process, dead link) is noticed by an
// unacknowledged PING and the call ends with `unavailable`; a healthy idle call stays open
// while PINGs go back and forth.

import Transport
import Wire
import XCTest

final class KeepaliveTests: XCTestCase {
    func testUnansweredPingClosesTheConnectionAndFailsTheCall() async throws {
        let raw = GoAwayServer(silent: true)
        let port = try await raw.start()
        var c = TransportClient.Configuration(host: "127.0.0.1", port: port)
        c.keepaliveInterval = 0.2
        c.keepaliveTimeout = 0.3
        let client = TransportClient(configuration: c)
        let started = Date()
        let call = try await client.call(path: "/t.v1/Bidi", metadata: auth)
        try await call.send(bytes("hello"))
        let (messages, status) = try await collect(call)
        XCTAssertEqual(messages.count, 0)
        XCTAssertEqual(status.code, .unavailable, "\(status)")
        XCTAssertTrue(status.message.contains("keepalive"), status.message)
        // Well before TCP would notice (the bound is generous for slow CI machines).
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        await client.close()
        await raw.stop()
    }

    func testHealthyIdleCallSurvivesAndPingsAreAnswered() async throws {
        let server = try await startServer()
        var c = TransportClient.Configuration(host: "127.0.0.1", port: server.cleartextPort!)
        c.keepaliveInterval = 0.1
        c.keepaliveTimeout = 2
        let client = TransportClient(configuration: c)
        let call = try await client.call(path: "/t.v1/Bidi", metadata: auth)
        var responses = call.responses.makeAsyncIterator()
        try await call.send(bytes("first"))
        let first = try await responses.next().map(text)
        XCTAssertEqual(first, "first")
        try await Task.sleep(nanoseconds: 1_000_000_000) // idle: the keepalive pings
        try await call.send(bytes("second"))
        let second = try await responses.next().map(text)
        XCTAssertEqual(second, "second")
        XCTAssertGreaterThan(client.keepalivePingsSent, 2)
        XCTAssertEqual(client.connectionsOpened, 1, "the connection must survive the idle period")
        try await call.finish()
        let end = try await responses.next()
        XCTAssertNil(end)
        await client.close()
        await server.shutdown(grace: 1)
    }
}
