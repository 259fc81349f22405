// H2AttackTests: a hand-written adversarial client (raw frames from RawFrames.swift)
// against a server H2Session — Rapid Reset, CONTINUATION flood, header bombs,
// SETTINGS/PING floods, empty DATA and invalid-frame floods (TRANSPORT.md "Attack classes").
// Each asserts the specific outcome in the server's output bytes and counters.

import XCTest
@testable import H2

/// A server session plus everything it wrote and reported.
final class RawServer {
    let clock = ManualClock()
    let session: H2Session
    var output: [UInt8] = []
    var events: [H2Event] = []
    var error: H2Error?

    init(_ configuration: H2Configuration = H2Configuration()) throws {
        let clock = self.clock
        session = try H2Session(role: .server, configuration: configuration, now: { clock.seconds })
    }

    /// Sends the preface and an empty SETTINGS (optionally ACKing the server's).
    func handshake(ack: Bool = true) {
        send(Raw.preface + Raw.settings() + (ack ? Raw.settings(ack: true) : []))
    }

    /// Feeds bytes (recording a thrown error), optionally draining output afterwards.
    func send(_ bytes: [UInt8], drain: Bool = true) {
        do {
            events += try session.feed(bytes)
        } catch {
            self.error = error
            events += session.takeEvents()
        }
        if drain { self.drain() }
    }

    func drain() {
        if let out = try? session.drainOutput() { output += out }
        events += session.takeEvents()
    }

    var frames: [ParsedFrame] { parseFrames(output) }
}

final class H2AttackTests: XCTestCase {
    /// CVE-2023-44487: HEADERS + RST_STREAM(CANCEL) pairs. nghttp2's reset-rate bucket
    /// (burst 100) empties and the server sends GOAWAY; streams after that are not served.
    func testRapidResetEndsInGoAway() throws {
        let server = try RawServer()
        server.handshake()
        var attack: [UInt8] = []
        for i in 0..<1000 {
            let id = UInt32(2 * i + 1)
            attack += Raw.headers(stream: id, block: Raw.request()) + Raw.rst(stream: id, code: 0x8)
        }
        server.send(attack)
        let goAway = try XCTUnwrap(server.frames.goAways.first, "server must send GOAWAY")
        XCTAssertEqual(goAway.errorCode, H2ErrorCode.internalError.rawValue, "nghttp2's reset-rate GOAWAY")
        // Input after the 16 KiB chunk in which the limit tripped is never processed:
        // one chunk holds ~200 of these pairs, the attack 1000.
        let perChunk = 16 * 1024 / (Raw.headers(stream: 1, block: Raw.request()).count + 13) + 1
        XCTAssertGreaterThan(server.session.counters.resetsReceived, 100)
        XCTAssertLessThanOrEqual(server.session.counters.resetsReceived, perChunk)
        XCTAssertLessThanOrEqual(server.events.headerBlocks().count, perChunk)
        XCTAssertFalse(server.session.wantsRead)
        server.send(Raw.headers(stream: 2001, block: Raw.request(), endStream: true))
        XCTAssertTrue(server.events.headerBlocks(stream: 2001).isEmpty, "nothing is read after an error GOAWAY")
    }

    /// CVE-2024-28182: a header block that never ends. After 4 CONTINUATION frames the
    /// session fails with a typed error and the server sends GOAWAY(ENHANCE_YOUR_CALM).
    func testContinuationFloodIsAConnectionError() throws {
        let server = try RawServer()
        server.handshake()
        var attack = Raw.headers(stream: 1, block: Raw.hpack([(":method", "POST")]), endHeaders: false)
        for _ in 0..<50 { attack += Raw.continuation(stream: 1, block: Raw.hpack([("x-pad", "a")]), endHeaders: false) }
        server.send(attack)
        XCTAssertEqual(server.error, .tooManyContinuations)
        XCTAssertEqual(server.frames.goAways.last?.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
        XCTAssertTrue(server.events.headerBlocks().isEmpty)
        XCTAssertFalse(server.session.wantsRead)
        XCTAssertThrowsError(try server.session.feed(Raw.ping(1))) { XCTAssertEqual($0 as? H2Error, .tooManyContinuations) }
    }

    /// Four CONTINUATIONs are still fine.
    func testContinuationsWithinTheLimitAreAccepted() throws {
        let server = try RawServer()
        server.handshake()
        var attack = Raw.headers(stream: 1, block: Raw.request(), endStream: true, endHeaders: false)
        for i in 0..<4 { attack += Raw.continuation(stream: 1, block: Raw.hpack([("x-part", "\(i)")]), endHeaders: i == 3) }
        server.send(attack)
        XCTAssertNil(server.error)
        XCTAssertEqual(server.events.headerBlocks(stream: 1).first?.1.filter { $0.name == "x-part" }.count, 4)
    }

    /// A header list over 8 KiB is refused with RST_STREAM(ENHANCE_YOUR_CALM) and counted;
    /// the connection keeps serving other streams.
    func testOversizedHeaderListIsRefused() throws {
        let server = try RawServer()
        server.handshake()
        let big = Raw.request(extra: [("x-big", String(repeating: "a", count: 9000))])
        server.send(Raw.headers(stream: 1, block: big, endStream: true)
                    + Raw.headers(stream: 3, block: Raw.request(), endStream: true))
        XCTAssertEqual(server.frames.resets.first(where: { $0.stream == 1 })?.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
        XCTAssertTrue(server.events.contains(.headersRejected(stream: 1, violation: .listTooLarge(limit: 8192))))
        XCTAssertTrue(server.events.headerBlocks(stream: 1).isEmpty, "the rejected request never reaches the application")
        XCTAssertEqual(server.events.headerBlocks(stream: 3).count, 1, "other streams are still served")
        XCTAssertEqual(server.session.counters.headerLimitViolations, 1)
        XCTAssertEqual(server.session.counters.resetsSent, 1)
        XCTAssertTrue(server.frames.goAways.isEmpty)
    }

    /// HPACK bomb by count: 65+ small fields (under the byte limit) are refused too.
    func testTooManyHeaderFieldsAreRefused() throws {
        let server = try RawServer()
        server.handshake()
        let fields = (0..<70).map { ("x-f\($0)", "v") }
        server.send(Raw.headers(stream: 1, block: Raw.request(extra: fields), endStream: true))
        XCTAssertTrue(server.events.contains(.headersRejected(stream: 1, violation: .tooManyFields(limit: 64))))
        XCTAssertEqual(server.frames.resets.first?.stream, 1)
        XCTAssertEqual(server.session.counters.headerLimitViolations, 1)
        // 60 extra + 4 pseudo-headers = 64 fields: accepted.
        server.send(Raw.headers(stream: 3, block: Raw.request(extra: Array(fields.prefix(60))), endStream: true))
        XCTAssertEqual(server.events.headerBlocks(stream: 3).first?.1.count, 64)
    }

    /// Dynamic-table HPACK bomb: one large field inserted once, then referenced by index
    /// many times (1 byte each on the wire, 4 KiB decoded each) — stopped by the byte limit.
    func testIndexedHeaderExpansionIsRefused() throws {
        let server = try RawServer()
        server.handshake()
        let value = String(repeating: "b", count: 3000)
        // "literal with incremental indexing, new name" (0x40) puts x-bomb at dynamic index 62.
        let insert: [UInt8] = [0x40] + Raw.hpackInt(6, prefixBits: 7) + Array("x-bomb".utf8)
            + Raw.hpackInt(value.utf8.count, prefixBits: 7) + Array(value.utf8)
        let block = Raw.request() + insert + [UInt8](repeating: 0x80 | 62, count: 40)
        server.send(Raw.headers(stream: 1, block: block, endStream: true))
        XCTAssertTrue(server.events.contains(.headersRejected(stream: 1, violation: .listTooLarge(limit: 8192))))
        XCTAssertEqual(server.frames.resets.first?.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
    }

    /// PING flood from a peer that never reads: past 1000 unsent ACKs nghttp2 gives up;
    /// the session fails with `.flooded` and the number of queued frames stays bounded.
    func testPingFloodIsBounded() throws {
        let server = try RawServer()
        server.handshake()
        server.output = []
        var flood: [UInt8] = []
        for i in 0..<20_000 { flood += Raw.ping(UInt64(i)) }
        server.send(flood, drain: false)
        XCTAssertEqual(server.error, .flooded)
        XCTAssertLessThanOrEqual(server.session.nghttp2OutboundFrames, 1001)
        server.drain()
        // Memory bound: the 64 KiB stash plus nghttp2's 1000 queued ACKs (17 bytes each), far
        // below the 340 KB of ACKs the flood asked for.
        XCTAssertLessThan(server.output.count, 4 * 16 * 1024 + 1001 * 17 + 1024)
        XCTAssertEqual(server.frames.goAways.last?.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
    }

    /// SETTINGS flood, same cap.
    func testSettingsFloodIsBounded() throws {
        let server = try RawServer()
        server.handshake()
        var flood: [UInt8] = []
        for _ in 0..<20_000 { flood += Raw.settings([(0x4, 65535)]) }
        server.send(flood, drain: false)
        XCTAssertEqual(server.error, .flooded)
        XCTAssertLessThanOrEqual(server.session.nghttp2OutboundFrames, 1001)
    }

    /// A peer that reads its ACKs may ping freely: no error.
    func testPingsThatAreReadAreFine() throws {
        let server = try RawServer()
        server.handshake()
        for i in 0..<3000 { server.send(Raw.ping(UInt64(i))) }
        XCTAssertNil(server.error)
        XCTAssertEqual(server.frames.filter { $0.type == FrameType.ping.rawValue && $0.flags == Raw.ack }.count, 3000)
    }

    /// More SETTINGS entries in one frame than allowed (32) closes the connection.
    func testTooManySettingsEntriesIsAnError() throws {
        let server = try RawServer()
        server.send(Raw.preface + Raw.settings((0..<40).map { _ in (0x3, 100) }))
        XCTAssertTrue(server.error != nil || !server.frames.goAways.isEmpty,
                      "either a fatal error or GOAWAY, got \(String(describing: server.error))")
        XCTAssertFalse(server.session.wantsRead)
    }

    /// MadeYouReset-style: requests nghttp2 rejects as malformed (uppercase header name) make us
    /// send RST_STREAM each time; invalid frames + our resets (2 glitches per request) drain the
    /// glitch bucket (burst 100) and we answer GOAWAY(ENHANCE_YOUR_CALM), then stop reading.
    /// The requests arrive one read at a time, as they would from a socket.
    func testInvalidFramesDrainTheGlitchBucket() throws {
        let server = try RawServer()
        server.handshake()
        var sent = 0
        for i in 0..<200 where server.session.wantsRead {
            server.send(Raw.headers(stream: UInt32(2 * i + 1), block: Raw.request(extra: [("X-Upper", "1")]), endStream: true))
            sent += 1
        }
        let goAway = try XCTUnwrap(server.frames.goAways.last)
        XCTAssertEqual(goAway.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
        XCTAssertEqual(sent, 51, "glitch 101 = the invalid HEADERS of request 51")
        XCTAssertEqual(server.session.counters.glitches, 101)
        XCTAssertEqual(server.session.counters.invalidFrames, 51)
        XCTAssertEqual(server.session.counters.resetsSent, 50)
        XCTAssertEqual(server.frames.resets.count, 50)
        XCTAssertTrue(server.events.headerBlocks().isEmpty, "malformed requests never reach the application")
        XCTAssertFalse(server.session.wantsRead)
    }

    /// The same invalid frames spread over time stay under the refill rate: no GOAWAY.
    func testGlitchesSpreadOverTimeAreTolerated() throws {
        let server = try RawServer()
        server.handshake()
        for i in 0..<300 {
            server.clock.seconds += 1 // 10 tokens back per second, each round costs at most 2
            server.send(Raw.headers(stream: UInt32(2 * i + 1), block: Raw.request(extra: [("X-Upper", "1")]), endStream: true))
        }
        XCTAssertTrue(server.frames.goAways.isEmpty)
        XCTAssertTrue(server.session.wantsRead)
        XCTAssertGreaterThan(server.session.counters.glitches, 300)
    }

    /// Empty DATA frames without END_STREAM are glitches too.
    func testEmptyDataFloodEndsInGoAway() throws {
        let server = try RawServer()
        server.handshake()
        var attack = Raw.headers(stream: 1, block: Raw.request())
        for _ in 0..<500 { attack += Raw.data(stream: 1, []) }
        server.send(attack)
        XCTAssertEqual(server.frames.goAways.last?.errorCode, H2ErrorCode.enhanceYourCalm.rawValue)
        XCTAssertFalse(server.events.contains { if case .data = $0 { true } else { false } })
    }

    /// Stream 201 (the 101st) is refused while 100 are open; the server keeps running.
    func testStreamBeyondConcurrencyLimitIsRefused() throws {
        let server = try RawServer()
        server.send(Raw.preface + Raw.settings()) // no SETTINGS ACK yet: nghttp2 refuses the stream
        var attack: [UInt8] = []
        for i in 0..<101 { attack += Raw.headers(stream: UInt32(2 * i + 1), block: Raw.request()) }
        server.send(attack)
        XCTAssertEqual(server.events.headerBlocks().count, 100)
        let refused = server.frames.resets.first { $0.stream == 201 }
        XCTAssertEqual(refused?.errorCode, H2ErrorCode.refusedStream.rawValue)
        XCTAssertEqual(server.session.counters.streamsOpened, 100)
    }

    /// Memory stays bounded: a peer that never grants window cannot make the server queue
    /// more than what the application submitted, and back-pressure reports it.
    func testUnreadResponsesDoNotGrowBeyondWhatWasSubmitted() throws {
        let server = try RawServer()
        server.send(Raw.preface + Raw.settings([(0x4, 0)]) + Raw.settings(ack: true)) // INITIAL_WINDOW_SIZE 0
        server.send(Raw.headers(stream: 1, block: Raw.request(), endStream: true))
        try server.session.submitResponse(stream: 1, headers: [H2Header(":status", "200")])
        try server.session.submitData(stream: 1, bytes: pattern(2 << 20))
        server.drain()
        XCTAssertEqual(server.session.queuedBytes(stream: 1), 2 << 20, "nothing sent into a zero window")
        XCTAssertTrue(server.session.isAboveHighWatermark(stream: 1))
        XCTAssertFalse(server.frames.contains { $0.type == FrameType.data.rawValue && !$0.payload.isEmpty })
        server.send(Raw.windowUpdate(stream: 1, increment: 1000))
        XCTAssertEqual(server.frames.filter { $0.type == FrameType.data.rawValue }.map(\.payload.count).reduce(0, +), 1000)
    }

    /// Every advertised limit comes from the configuration (non-default values round-trip into
    /// the SETTINGS frame and the connection WINDOW_UPDATE), and the enforced ones follow it.
    func testConfigurationReachesTheWire() throws {
        var config = H2Configuration()
        config.maxConcurrentStreams = 7
        config.streamWindowSize = 300_000
        config.connectionWindowSize = 5_000_000
        config.headerTableSize = 1024
        config.maxHeaderListSize = 2048
        config.maxFrameSize = 32_768
        config.maxHeaderFields = 10
        let server = try RawServer(config)
        XCTAssertEqual(server.session.configuration, config)
        server.send(Raw.preface + Raw.settings())
        let settings = try XCTUnwrap(server.frames.first { $0.type == FrameType.settings.rawValue && $0.flags == 0 })
        var advertised: [UInt16: UInt32] = [:]
        for i in stride(from: 0, to: settings.payload.count, by: 6) {
            let p = settings.payload
            advertised[UInt16(p[i]) << 8 | UInt16(p[i + 1])] = p[i + 2..<i + 6].reduce(0) { $0 << 8 | UInt32($1) }
        }
        XCTAssertEqual(advertised, [0x3: 7, 0x4: 300_000, 0x1: 1024, 0x6: 2048, 0x5: 32_768])
        let update = try XCTUnwrap(server.frames.first { $0.type == FrameType.windowUpdate.rawValue && $0.stream == 0 })
        XCTAssertEqual(update.payload.reduce(0) { $0 << 8 | UInt32($1) }, 5_000_000 - 65_535)

        server.send(Raw.headers(stream: 1, block: Raw.request(extra: (0..<7).map { ("x-\($0)", "v") }), endStream: true))
        XCTAssertTrue(server.events.contains(.headersRejected(stream: 1, violation: .tooManyFields(limit: 10))))
        server.send(Raw.headers(stream: 3, block: Raw.request(extra: [("x-big", String(repeating: "z", count: 2100))]), endStream: true))
        XCTAssertTrue(server.events.contains(.headersRejected(stream: 3, violation: .listTooLarge(limit: 2048))))
    }

    /// Slowloris-style trickle: a header block fed one byte at a time produces no event until
    /// it is complete (work never starts from a partial block; timers are Transport's job).
    func testTrickledHeadersProduceNothingUntilComplete() throws {
        let server = try RawServer()
        server.handshake()
        let block = Raw.request(extra: [("x-slow", "1")])
        let frames = Raw.headers(stream: 1, block: Array(block.prefix(20)), endStream: true, endHeaders: false)
            + Raw.continuation(stream: 1, block: Array(block.dropFirst(20)), endHeaders: true)
        let before = server.events.count
        for byte in frames.dropLast() {
            server.send([byte])
            XCTAssertEqual(server.events.count, before)
        }
        server.send([frames.last!])
        XCTAssertNil(server.error, "a CONTINUATION header split across reads counts once")
        XCTAssertEqual(server.events.headerBlocks(stream: 1).first?.1.last, H2Header("x-slow", "1"))
    }

    /// Any split of the input into reads gives the same events as feeding it whole.
    func testArbitraryReadSplitsGiveTheSameEvents() throws {
        let client = try H2Session(role: .client)
        var ids: [Int32] = []
        for i in 0..<5 {
            let id = try client.submitRequest(headers: request("/p\(i)", extra: [H2Header("x-i", "\(i)")]), endStream: false)
            try client.submitData(stream: id, bytes: pattern(20_000 + i, seed: UInt8(i)), endStream: true)
            ids.append(id)
        }
        let wire = try client.drainOutput()
        let whole = try RawServer()
        whole.send(wire)
        var generator = SplitMix(seed: 42)
        for _ in 0..<5 {
            let split = try RawServer()
            var i = 0
            while i < wire.count {
                let n = Int(generator.next() % 40) + 1
                split.send(Array(wire[i..<min(wire.count, i + n)]))
                i += n
            }
            XCTAssertNil(split.error)
            XCTAssertEqual(split.events.headerBlocks().count, 5)
            for id in ids {
                XCTAssertEqual(split.events.body(stream: id).bytes, whole.events.body(stream: id).bytes)
                XCTAssertEqual(split.events.headerBlocks(stream: id).first?.1, whole.events.headerBlocks(stream: id).first?.1)
            }
        }
    }
}

/// A tiny deterministic generator for read sizes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
