// HTTP/2 attacks from a raw-frame peer (RawH2.swift): Rapid Reset, CONTINUATION flood,
// oversized and many-field header lists, SETTINGS/PING/empty-DATA floods, slowloris
// (trickled headers, never-read responses), MadeYouReset. Each: the connection is closed
// or the stream refused, memory stays bounded, and a well-behaved client is still served.

import NIOConcurrencyHelpers
@testable import Transport
import Wire
import XCTest

final class AttackTests: XCTestCase {
    var server: TransportServer!
    let observed = Observed()

    override func setUp() async throws {
        let observed = observed
        server = try await startServer({ c in
            c.tickInterval = 0.05
            c.timeouts.headerCompletion = 0.5
            c.timeouts.writeStall = 1
        }, routes: { s in
            try registerTestRoutes(s)
            try registerHang(s, observed)
            try s.register(path: "/t.v1/Firehose", requestMessages: .many) { _, responder in
                let payload = [UInt8](repeating: 1, count: 64 * 1024)
                while true { try await responder.send(payload) }
            }
        })
    }

    override func tearDown() async throws {
        // A well-behaved client is served after every attack.
        let client = h2cClient(server)
        let reply = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("fine"))
        XCTAssertEqual(text(reply), "fine")
        await client.close()
        await server.shutdown(grace: 1)
    }

    func peer(reads: Bool = true) async throws -> RawPeer {
        let p = try await RawPeer(port: server.cleartextPort!, reads: reads)
        try await p.send(H2Bytes.preface + H2Bytes.settings())
        // The server has admitted it (so "openConnections == 0" later means it was closed).
        try await eventually(20, "connection admitted") { self.server.openConnections == 1 }
        return p
    }

    func testRapidReset() async throws {
        let p = try await peer()
        var burst: [UInt8] = []
        for i in 0..<2000 {
            let id = UInt32(2 * i + 1)
            burst += H2Bytes.headers(stream: id, H2Bytes.requestBlock(path: "/t.v1/Hang")) + H2Bytes.rst(id)
        }
        try await p.send(burst)
        try await eventually(20, "connection closed") { p.isClosed }
        // nghttp2's RST rate limit answers GOAWAY(INTERNAL_ERROR); our glitch bucket ENHANCE_YOUR_CALM.
        XCTAssertTrue([0x2, 0xb].contains(p.goAwayCode), "\(String(describing: p.goAwayCode))")
        // Streams opened and reset in one batch never started work.
        XCTAssertLessThan(observed.started, 300)
        XCTAssertEqual(server.counters.count(.glitchLimit), 1)
        XCTAssertGreaterThanOrEqual(server.counters.count(.streamOpenedAndClosed), 1)
        await p.close()
    }

    func testContinuationFlood() async throws {
        let p = try await peer()
        var bytes = H2Bytes.headers(stream: 1, H2Bytes.literal(":method", "POST"), endHeaders: false)
        for _ in 0..<1000 { bytes += H2Bytes.frame(9, stream: 1, H2Bytes.literal("x-a", "b")) }
        try await p.send(bytes)
        try await eventually(20, "connection closed") { p.isClosed }
        XCTAssertEqual(p.goAwayCode, 0xb)
        XCTAssertEqual(observed.started, 0)
        await p.close()
    }

    func testOversizedAndManyFieldHeaderListsAreRefused() async throws {
        let p = try await peer()
        let big = H2Bytes.requestBlock(path: "/t.v1/Hang", extra: [("x-big", String(repeating: "a", count: 9000))])
        var many = H2Bytes.requestBlock(path: "/t.v1/Hang")
        for i in 0..<100 { many += H2Bytes.literal("x-f\(i)", "v") }
        // Spread over frames: header blocks larger than one frame need CONTINUATION.
        func send(_ block: [UInt8], stream: UInt32) -> [UInt8] {
            let parts = stride(from: 0, to: block.count, by: 8000).map { Array(block[$0..<min($0 + 8000, block.count)]) }
            var out = H2Bytes.headers(stream: stream, parts[0], endHeaders: parts.count == 1)
            for (i, part) in parts.enumerated().dropFirst() {
                out += H2Bytes.frame(9, flags: i == parts.count - 1 ? 0x4 : 0, stream: stream, part)
            }
            return out
        }
        try await p.send(send(big, stream: 1) + send(many, stream: 3))
        try await eventually(20, "two streams refused") { p.frames.filter { $0.type == 3 }.count >= 2 }
        XCTAssertEqual(server.counters.count(.headerLimit), 2)
        XCTAssertFalse(p.isClosed, "a refused stream does not cost the connection")
        XCTAssertEqual(observed.started, 0)
        await p.close()
    }

    func testSettingsFlood() async throws {
        let p = try await peer(reads: false)
        try await p.send((0..<20_000).flatMap { _ in H2Bytes.settings() })
        try await eventually(20, "connection closed") { self.server.openConnections == 0 }
        let counted = server.counters.count(.protocolError) + server.counters.count(.writeStall)
        XCTAssertEqual(counted, 1, "\(server.counters.rejected)")
        await p.close()
    }

    func testPingFloodFromAPeerThatNeverReads() async throws {
        let p = try await peer(reads: false)
        // Keep flooding until the server gives up on us (nghttp2's ACK cap or our write-stall timer).
        for round in 0..<400 where server.openConnections > 0 {
            try? await p.send((0..<2000).flatMap { _ in H2Bytes.ping(UInt8(round % 256)) })
        }
        try await eventually(20, "connection closed") { self.server.openConnections == 0 }
        let counted = server.counters.count(.protocolError) + server.counters.count(.writeStall)
        XCTAssertEqual(counted, 1, "\(server.counters.rejected)")
        await p.close()
    }

    func testEmptyDataFlood() async throws {
        let p = try await peer()
        var bytes = H2Bytes.headers(stream: 1, H2Bytes.requestBlock(path: "/t.v1/Hang"))
        for _ in 0..<1000 { bytes += H2Bytes.frame(0, stream: 1, []) }
        try await p.send(bytes)
        try await eventually(20, "connection closed") { p.isClosed }
        XCTAssertEqual(p.goAwayCode, 0xb)
        await p.close()
    }

    func testTrickledHeadersHitTheHeaderTimeout() async throws {
        let p = try await peer()
        let block = H2Bytes.requestBlock(path: "/t.v1/Hang")
        let frame = H2Bytes.headers(stream: 1, block)
        try await p.send(Array(frame.prefix(12))) // frame header plus 3 bytes, then silence
        try await eventually(20, "connection closed") { p.isClosed }
        XCTAssertEqual(server.counters.count(.headerTimeout), 1)
        await p.close()
    }

    func testNeverReadResponsesStayBoundedAndTheConnectionIsClosed() async throws {
        let p = try await peer(reads: false)
        // ACK the server's SETTINGS (so the SETTINGS-ACK timer stays out of it) and open huge
        // windows, so only the socket (not flow control) stops the server.
        try await p.send(H2Bytes.frame(4, flags: 0x1) + H2Bytes.settings([(0x4, 0x7fff_ffff)]) + H2Bytes.windowUpdate(0, 0x7fff_ffff - 65_535)
                         + H2Bytes.headers(stream: 1, H2Bytes.requestBlock(path: "/t.v1/Firehose")))
        var maxQueued = 0
        for _ in 0..<200 where server.openConnections > 0 {
            maxQueued = max(maxQueued, await server.queuedResponseBytes())
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        try await eventually(20, "connection closed") { self.server.openConnections == 0 }
        XCTAssertLessThanOrEqual(maxQueued, (1 << 20) + 2 * (64 * 1024 + 5))
        XCTAssertEqual(server.counters.count(.writeStall), 1, "\(server.counters.rejected)")
        await p.close()
    }

    func testMadeYouReset() async throws {
        let p = try await peer()
        // Each stream is malformed in a way that forces *us* to reset it (an upper-case header name).
        var bytes: [UInt8] = []
        for i in 0..<400 {
            let id = UInt32(2 * i + 1)
            bytes += H2Bytes.headers(stream: id, H2Bytes.requestBlock(path: "/t.v1/Unary", extra: [("X-Bad", "1")]))
        }
        try await p.send(bytes)
        try await eventually(20, "connection closed") { p.isClosed }
        XCTAssertEqual(p.goAwayCode, 0xb, "glitch bucket: GOAWAY(ENHANCE_YOUR_CALM)")
        XCTAssertEqual(server.counters.count(.glitchLimit), 1)
        await p.close()
    }
}
