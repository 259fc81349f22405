// Server limits and timers end to end: connection caps (overall and per peer), streams
// beyond MAX_CONCURRENT_STREAMS refused, SETTINGS-ACK and idle timeouts, per-route
// inactivity override, configuration validation naming the bad field.

@testable import Transport
import Wire
import XCTest

final class LimitsTests: XCTestCase {
    func testPerPeerAndOverallConnectionCaps() async throws {
        let server = try await startServer({ c in c.maxConnectionsPerPeer = 2; c.maxConnections = 3 })
        var peers: [RawPeer] = []
        for _ in 0..<3 { peers.append(try await RawPeer(port: server.cleartextPort!)) }
        try await eventually { server.counters.count(.peerConnectionCap) == 1 }
        try await eventually { peers[2].isClosed }
        XCTAssertEqual(server.openConnections, 2)
        for p in peers { await p.close() }
        try await eventually { server.openConnections == 0 }
        await server.shutdown(grace: 1)
    }

    func testStreamsBeyondMaxConcurrentAreRefused() async throws {
        let observed = Observed()
        let server = try await startServer({ c in c.h2.maxConcurrentStreams = 5 }, routes: { try registerHang($0, observed) })
        let p = try await RawPeer(port: server.cleartextPort!)
        var bytes = H2Bytes.preface + H2Bytes.settings()
        for i in 0..<8 { bytes += H2Bytes.headers(stream: UInt32(2 * i + 1), H2Bytes.requestBlock(path: "/t.v1/Hang")) }
        try await p.send(bytes)
        try await eventually { p.frames.filter { $0.type == 3 && $0.errorCode == 7 }.count == 3 }
        try await eventually { observed.started == 5 }
        await p.close()
        await server.shutdown(grace: 1)
    }

    func testSettingsAckTimeoutClosesTheConnection() async throws {
        let server = try await startServer({ c in c.timeouts.settingsAck = 0.3; c.tickInterval = 0.05 })
        let p = try await RawPeer(port: server.cleartextPort!)
        try await p.send(H2Bytes.preface + H2Bytes.settings()) // never ACKs the server's SETTINGS
        try await eventually { p.isClosed }
        XCTAssertEqual(p.goAwayCode, 0x4, "GOAWAY(SETTINGS_TIMEOUT)")
        XCTAssertEqual(server.counters.count(.settingsTimeout), 1)
        await p.close()
        await server.shutdown(grace: 1)
    }

    func testIdleConnectionIsClosedAndLongRoutesOutliveTheDefault() async throws {
        let server = try await startServer({ c in
            c.timeouts.idle = 0.3
            c.timeouts.streamInactivity = 0.2
            c.tickInterval = 0.05
        }, routes: { s in
            try s.register(path: "/t.v1/Watch", inactivityTimeout: 60) { request, responder in
                for try await m in request.messages { try await responder.send(m) }
                return .ok
            }
        })
        let client = h2cClient(server)
        let watch = try await client.call(path: "/t.v1/Watch", metadata: auth)
        try await watch.send([1])
        var it = watch.responses.makeAsyncIterator()
        let first = try await it.next()
        XCTAssertEqual(first, [1])
        try await Task.sleep(nanoseconds: 600_000_000) // > default inactivity and idle: the watch stream survives
        XCTAssertNil(watch.currentStatus)
        try await watch.send([2])
        let second = try await it.next()
        XCTAssertEqual(second, [2])
        try await watch.finish()
        let status = try await watch.status
        XCTAssertEqual(status, .ok)
        try await eventually { server.counters.count(.idleTimeout) == 1 }
        XCTAssertEqual(server.counters.count(.streamInactive), 0)
        await client.close()
        await server.shutdown(grace: 1)
    }

    func testConfigurationValidation() throws {
        var c = ServerConfiguration()
        c.maxConnectionsPerPeer = 0
        XCTAssertThrowsError(try TransportServer(configuration: c)) { XCTAssertTrue("\($0)".contains("maxConnectionsPerPeer")) }
        c = ServerConfiguration()
        c.cleartext = nil
        XCTAssertThrowsError(try TransportServer(configuration: c)) { XCTAssertTrue("\($0)".contains("listener")) }
        c = ServerConfiguration()
        c.h2.streamWindowSize = 0
        XCTAssertThrowsError(try TransportServer(configuration: c)) { XCTAssertTrue("\($0)".contains("streamWindowSize")) }
        c = ServerConfiguration()
        c.timeouts.writeStall = -1
        XCTAssertThrowsError(try TransportServer(configuration: c)) { XCTAssertTrue("\($0)".contains("writeStall")) }
        let server = try TransportServer(configuration: ServerConfiguration())
        XCTAssertThrowsError(try server.register(path: "x", handler: { _, _ in .ok })) { XCTAssertTrue("\($0)".contains("'x'")) }
        XCTAssertThrowsError(try server.register(path: "/a", requestMessages: .none, handler: { _, _ in .ok }))
        try server.register(path: "/a", handler: { _, _ in .ok })
        XCTAssertThrowsError(try server.registerGET(path: "/a") { _ in HTTPResponse(text: "") }) {
            XCTAssertEqual($0 as? TransportError, .duplicateRoute("/a"))
        }
    }
}
