// H2SessionTests: a client session wired to a server session in memory —
// request/response, trailers, flow control that follows consumption, watermarks,
// concurrency limits, resets from either side, GOAWAY.

import XCTest
@testable import H2

final class H2SessionTests: XCTestCase {
    func testRequestResponseWithTrailers() throws {
        let pair = try Pair()
        let id = try pair.client.submitRequest(headers: request(extra: [H2Header("content-type", "application/x-tributary-v1")]),
                                              endStream: false)
        try pair.client.submitData(stream: id, bytes: Array("hello".utf8), endStream: true)
        try pair.pump()

        let blocks = pair.serverEvents.headerBlocks(stream: id)
        XCTAssertEqual(blocks.count, 1)
        XCTAssertTrue(blocks[0].1.contains(H2Header(":path", "/echo")))
        XCTAssertTrue(blocks[0].1.contains(H2Header("content-type", "application/x-tributary-v1")))
        XCTAssertFalse(blocks[0].2)
        XCTAssertEqual(pair.serverEvents.body(stream: id).bytes, Array("hello".utf8))
        XCTAssertTrue(pair.serverEvents.body(stream: id).ended)
        XCTAssertEqual(pair.server.counters.streamsOpened, 1)

        try pair.server.submitResponse(stream: id, headers: [H2Header(":status", "200")])
        try pair.server.submitData(stream: id, bytes: Array("world".utf8))
        try pair.server.submitTrailers(stream: id, headers: [H2Header("tributary-status", "0")])
        try pair.pump()

        XCTAssertEqual(pair.clientEvents.headerBlocks(stream: id).first?.1, [H2Header(":status", "200")])
        XCTAssertEqual(pair.clientEvents.body(stream: id).bytes, Array("world".utf8))
        XCTAssertFalse(pair.clientEvents.body(stream: id).ended, "trailers, not DATA, end the stream")
        XCTAssertTrue(pair.clientEvents.contains(.trailers(stream: id, headers: [H2Header("tributary-status", "0")])))
        XCTAssertEqual(pair.clientEvents.closed(stream: id), .noError)
        XCTAssertEqual(pair.serverEvents.closed(stream: id), .noError)
        XCTAssertTrue(pair.clientEvents.contains(.settingsAcked))
    }

    /// DATA frames are as large as the peer's SETTINGS_MAX_FRAME_SIZE allows (nghttp2 alone
    /// stops at 16 KiB), and no larger; the payload goes out NO_COPY and arrives intact.
    func testDataFramesFollowThePeersMaxFrameSize() throws {
        for (limit, body) in [(UInt32(64 << 10), 200 << 10), (16 << 10, 40 << 10)] {
            var clientConfig = H2Configuration()
            clientConfig.maxFrameSize = limit
            let pair = try Pair(client: clientConfig)
            let id = try pair.client.submitRequest(headers: request(), endStream: true)
            try pair.pump()
            let payload = pattern(body)
            try pair.server.submitResponse(stream: id, headers: [H2Header(":status", "200")])
            try pair.server.submitData(stream: id, bytes: payload, endStream: true)
            try pair.pump()
            let frames = pair.clientEvents.compactMap { e -> Int? in
                if case let .data(stream, bytes, _) = e, stream == id { return bytes.count }
                return nil
            }
            XCTAssertEqual(frames.max(), Int(limit), "frames of the peer's largest size")
            XCTAssertEqual(frames.count, (body + Int(limit) - 1) / Int(limit))
            XCTAssertEqual(pair.clientEvents.body(stream: id).bytes, payload)
            XCTAssertTrue(pair.clientEvents.body(stream: id).ended)
        }
    }

    func testPingIsAcked() throws {
        let pair = try Pair()
        try pair.client.ping(payload: 0x0102_0304_0506_0708)
        try pair.pump()
        XCTAssertTrue(pair.clientEvents.contains(.pingAcked(payload: 0x0102_0304_0506_0708)))
    }

    /// The sender stalls at the receiver's stream window until the receiver consumes.
    func testFlowControlFollowsConsumption() throws {
        let pair = try Pair()
        let body = pattern(3 << 20)
        let id = try pair.client.submitRequest(headers: request(), endStream: false)
        for start in stride(from: 0, to: body.count, by: 64 << 10) {
            try pair.client.submitData(stream: id, bytes: Array(body[start..<min(body.count, start + (64 << 10))]),
                                       endStream: start + (64 << 10) >= body.count)
        }
        XCTAssertTrue(pair.client.isAboveHighWatermark(stream: id))
        try pair.pump()
        // Nothing consumed: exactly one stream window (1 MiB) crossed, the rest waits at the sender.
        XCTAssertEqual(pair.serverEvents.body(stream: id).bytes.count, 1 << 20)
        XCTAssertEqual(pair.client.queuedBytes(stream: id), 2 << 20)
        XCTAssertEqual(pair.client.sendWindow(stream: id), 0)
        try pair.pump()
        XCTAssertEqual(pair.serverEvents.body(stream: id).bytes.count, 1 << 20, "still stalled without consume")

        var received = 0
        for _ in 0..<100 {
            let seen = pair.serverEvents.body(stream: id).bytes.count
            pair.server.consume(stream: id, bytes: seen - received)
            received = seen
            try pair.pump()
            if pair.serverEvents.body(stream: id).ended { break }
        }
        XCTAssertEqual(pair.serverEvents.body(stream: id).bytes, body)
        XCTAssertTrue(pair.clientEvents.contains(.writable(stream: id)), "writer told to resume below the low watermark")
        XCTAssertEqual(pair.client.totalQueuedBytes, 0)
    }

    /// Ten streams of 1 MiB each without consumption stop at the 8 MiB connection window.
    func testConnectionWindowCapsAllStreams() throws {
        let pair = try Pair()
        var ids: [Int32] = []
        for _ in 0..<10 {
            let id = try pair.client.submitRequest(headers: request(), endStream: false)
            try pair.client.submitData(stream: id, bytes: pattern(1 << 20), endStream: true)
            ids.append(id)
        }
        try pair.pump()
        let total = ids.map { pair.serverEvents.body(stream: $0).bytes.count }.reduce(0, +)
        XCTAssertEqual(total, 8 << 20)
        XCTAssertEqual(pair.client.totalQueuedBytes, 2 << 20)
        // Consuming a closed-off share reopens the connection window for the rest.
        for id in ids { pair.server.consume(stream: id, bytes: pair.serverEvents.body(stream: id).bytes.count) }
        try pair.pump()
        XCTAssertEqual(ids.map { pair.serverEvents.body(stream: $0).bytes.count }.reduce(0, +), 10 << 20)
        XCTAssertTrue(ids.allSatisfy { pair.serverEvents.body(stream: $0).ended })
    }

    /// Bytes delivered on streams that close before the application consumed them give the
    /// connection window back, so a peer cannot starve the connection by filling the window
    /// on streams it then resets.
    func testClosedStreamsReturnConnectionWindow() throws {
        let pair = try Pair()
        var doomed: [Int32] = []
        for _ in 0..<8 {
            let id = try pair.client.submitRequest(headers: request(), endStream: false)
            try pair.client.submitData(stream: id, bytes: pattern(1 << 20))
            doomed.append(id)
        }
        try pair.pump()
        XCTAssertEqual(doomed.map { pair.serverEvents.body(stream: $0).bytes.count }.reduce(0, +), 8 << 20)
        let late = try pair.client.submitRequest(headers: request(), endStream: false)
        try pair.client.submitData(stream: late, bytes: pattern(1000), endStream: true)
        try pair.pump()
        XCTAssertTrue(pair.serverEvents.body(stream: late).bytes.isEmpty, "connection window exhausted")
        for id in doomed { try pair.client.resetStream(id, errorCode: .cancel) }
        try pair.pump()
        XCTAssertEqual(pair.serverEvents.closed(stream: doomed[0]), .cancel)
        XCTAssertEqual(pair.serverEvents.body(stream: late).bytes, pattern(1000), "window returned on close")
        XCTAssertTrue(pair.serverEvents.body(stream: late).ended)
    }

    /// The client holds the 101st request back until a stream finishes.
    func testConcurrencyLimitHoldsBackTheExtraStream() throws {
        let pair = try Pair()
        try pair.pump() // exchange SETTINGS first so the client knows the limit
        var ids: [Int32] = []
        for _ in 0..<101 { ids.append(try pair.client.submitRequest(headers: request(), endStream: true)) }
        try pair.pump()
        XCTAssertEqual(pair.serverEvents.headerBlocks().count, 100)
        XCTAssertTrue(pair.serverEvents.headerBlocks(stream: ids[100]).isEmpty)
        try pair.server.submitResponse(stream: ids[0], headers: [H2Header(":status", "200")], endStream: true)
        try pair.pump()
        XCTAssertEqual(pair.serverEvents.headerBlocks(stream: ids[100]).count, 1)
        XCTAssertEqual(pair.server.counters.streamsOpened, 101)
    }

    func testClientResetReachesServer() throws {
        let pair = try Pair()
        let id = try pair.client.submitRequest(headers: request(), endStream: false)
        try pair.client.submitData(stream: id, bytes: pattern(1000))
        try pair.pump()
        try pair.client.resetStream(id, errorCode: .cancel)
        try pair.pump()
        XCTAssertEqual(pair.serverEvents.closed(stream: id), .cancel)
        XCTAssertEqual(pair.server.counters.resetsReceived, 1)
        XCTAssertEqual(pair.client.counters.resetsSent, 1)
        XCTAssertThrowsError(try pair.client.submitData(stream: id, bytes: [1])) {
            XCTAssertEqual($0 as? H2Error, .unknownStream(id))
        }
    }

    func testServerResetReachesClientAndDropsQueue() throws {
        let pair = try Pair()
        let id = try pair.client.submitRequest(headers: request(), endStream: true)
        try pair.pump()
        try pair.server.submitResponse(stream: id, headers: [H2Header(":status", "200")])
        try pair.server.submitData(stream: id, bytes: pattern(3 << 20))
        try pair.pump()
        XCTAssertGreaterThan(pair.server.queuedBytes(stream: id), 0)
        try pair.server.resetStream(id, errorCode: .refusedStream)
        XCTAssertEqual(pair.server.queuedBytes(stream: id), 0)
        try pair.pump()
        XCTAssertEqual(pair.clientEvents.closed(stream: id), .refusedStream)
        XCTAssertEqual(pair.server.totalQueuedBytes, 0)
    }

    /// A peer whose stream window is (nearly) closed: the response bytes stay queued, the stream
    /// reports itself flow-control blocked, and the running total follows writes, sends and the
    /// peer's reset.
    func testFlowControlBlockedStreamAndQueuedTotal() throws {
        var tiny = H2Configuration()
        tiny.streamWindowSize = 1
        let pair = try Pair(client: tiny)
        let a = try pair.client.submitRequest(headers: request(), endStream: true)
        let b = try pair.client.submitRequest(headers: request(), endStream: true)
        try pair.pump()
        for id in [a, b] {
            try pair.server.submitResponse(stream: id, headers: [H2Header(":status", "200")])
            try pair.server.submitData(stream: id, bytes: pattern(100_000))
        }
        XCTAssertEqual(pair.server.totalQueuedBytes, 200_000)
        XCTAssertFalse(pair.server.isFlowControlBlocked(stream: a), "a window of 1 byte is still open")
        try pair.pump()
        XCTAssertEqual(pair.server.totalQueuedBytes, 2 * 99_999, "one byte each went out")
        XCTAssertTrue(pair.server.isFlowControlBlocked(stream: a))
        XCTAssertTrue(pair.server.isFlowControlBlocked(stream: b))
        pair.client.consume(stream: a, bytes: 1)   // the client's window update reopens stream a
        try pair.pump()
        XCTAssertEqual(pair.server.queuedBytes(stream: a), 99_998)
        try pair.client.resetStream(b, errorCode: .cancel)
        try pair.pump()
        XCTAssertEqual(pair.server.queuedBytes(stream: b), 0)
        XCTAssertEqual(pair.server.totalQueuedBytes, 99_998, "a closed stream's queue leaves the total")
        XCTAssertFalse(pair.server.isFlowControlBlocked(stream: b), "nothing queued: not blocked")
    }

    func testGracefulGoAwayFinishesOpenStreamsAndRefusesNewOnes() throws {
        let pair = try Pair()
        let id = try pair.client.submitRequest(headers: request(), endStream: true)
        try pair.pump()
        try pair.server.sendShutdownNotice()
        try pair.pump()
        try pair.server.goAway(errorCode: .noError)
        try pair.pump()
        let goAways = pair.clientEvents.compactMap { e -> (Int32, H2ErrorCode)? in
            if case let .goAway(last, code, _) = e { (last, code) } else { nil }
        }
        XCTAssertEqual(goAways.first?.0, Int32.max, "shutdown notice announces 2^31-1")
        XCTAssertEqual(goAways.last?.0, id)
        XCTAssertEqual(goAways.last?.1, .noError)
        // nghttp2 accepts the submission but never sends it: the stream closes as refused.
        let late = try pair.client.submitRequest(headers: request(), endStream: true)
        try pair.pump()
        XCTAssertEqual(pair.clientEvents.closed(stream: late), .refusedStream)
        XCTAssertTrue(pair.serverEvents.headerBlocks(stream: late).isEmpty)
        // The stream opened before GOAWAY is still served.
        try pair.server.submitResponse(stream: id, headers: [H2Header(":status", "200")], endStream: true)
        try pair.pump()
        XCTAssertEqual(pair.clientEvents.closed(stream: id), .noError)
        XCTAssertFalse(pair.server.wantsWrite)
    }

    func testConfigurationValidationNamesTheField() {
        var c = H2Configuration()
        c.outboundLowWatermark = c.outboundHighWatermark + 1
        XCTAssertThrowsError(try H2Session(role: .server, configuration: c)) {
            XCTAssertTrue("\($0)".contains("outboundLowWatermark"))
        }
        c = H2Configuration()
        c.maxFrameSize = 100
        XCTAssertThrowsError(try H2Session(role: .server, configuration: c)) { XCTAssertTrue("\($0)".contains("maxFrameSize")) }
    }

    func testGlitchBucketRefills() {
        var bucket = GlitchBucket(burst: 3, perSecond: 1, now: 0)
        XCTAssertTrue(bucket.take(now: 0)); XCTAssertTrue(bucket.take(now: 0)); XCTAssertTrue(bucket.take(now: 0))
        XCTAssertFalse(bucket.take(now: 0))
        XCTAssertFalse(bucket.take(now: 0.5))
        XCTAssertTrue(bucket.take(now: 1.5))
        XCTAssertTrue(bucket.take(now: 100)); XCTAssertEqual(bucket.tokens, 2, accuracy: 1e-9, "capped at burst")
    }
}
