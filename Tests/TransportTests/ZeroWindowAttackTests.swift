// The zero-window attack over a real loopback server: peers that advertise
// SETTINGS_INITIAL_WINDOW_SIZE 0 and never send WINDOW_UPDATE open 100 streams each on a
// route that answers like FetchPolicy (a few large, freshly encoded messages). The queued
// response bytes stay under the per-connection cap, streams beyond it are refused with
// resource_exhausted, the stalled streams are reset by the write-stall timer
// (ENHANCE_YOUR_CALM), and the queued-bytes gauge and the process RSS come back down.

import Foundation
import NIOConcurrencyHelpers
@testable import Transport
import Wire
import XCTest

/// Resident set size of this process in bytes (Linux /proc; 0 where it is not readable).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kb * 1024
}

final class ZeroWindowAttackTests: XCTestCase {
    static let connections = 8
    static let streamsPerConnection = 100
    static let messageBytes = 512 * 1024

    let handlersRun = NIOLockedValueBox(0)

    func startPolicyServer(_ configure: (inout ServerConfiguration) -> Void) async throws -> TransportServer {
        let handlersRun = handlersRun
        return try await startServer({ c in
            c.tickInterval = 0.05
            configure(&c)
        }, routes: { s in
            try registerTestRoutes(s)
            // Like FetchPolicy: one request, then four chunk messages, each a fresh allocation.
            try s.register(path: "/t.v1/Policy", requestMessages: .one) { request, responder in
                handlersRun.withLockedValue { $0 += 1 }
                _ = try await request.message()
                for i in 0..<4 { try await responder.send([UInt8](repeating: UInt8(i), count: Self.messageBytes)) }
                return .ok
            }
        })
    }

    static func policyStreams(_ ids: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in ids {
            let id = UInt32(2 * i + 1)
            bytes += H2Bytes.headers(stream: id, H2Bytes.requestBlock(path: "/t.v1/Policy"))
            bytes += H2Bytes.frame(0, flags: 0x1, stream: id, [0, 0, 0, 0, 1, 0x31])
        }
        return bytes
    }

    /// Opens `connections` peers that advertise a zero stream window (and never open it)
    /// with 100 policy streams each.
    func attack(_ server: TransportServer) async throws -> [RawPeer] {
        var peers: [RawPeer] = []
        for _ in 0..<Self.connections {
            let p = try await RawPeer(port: server.cleartextPort!)
            try await p.send(H2Bytes.preface + H2Bytes.settings([(0x4, 0)]) + H2Bytes.frame(4, flags: 0x1)
                             + Self.policyStreams(0..<Self.streamsPerConnection))
            peers.append(p)
        }
        return peers
    }

    /// Samples RSS and the queued bytes until `deadline` (monotonic seconds).
    func watch(_ server: TransportServer, until deadline: Double) async throws -> (rss: Int, queued: Int) {
        var peakRSS = 0, peakQueued = 0
        while monotonicNow() < deadline {
            peakRSS = max(peakRSS, residentBytes())
            peakQueued = max(peakQueued, await server.queuedResponseBytes())
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return (peakRSS, peakQueued)
    }

    func testZeroWindowPeersAreCappedResetAndTheMemoryComesBack() async throws {
        let server = try await startPolicyServer { c in c.timeouts.writeStall = 4 }
        let cap = ServerConfiguration().maxQueuedBytesPerConnection
        let before = residentBytes()
        let start = monotonicNow()
        let peers = try await attack(server)
        // The first wave: every handler produces its first message at once; those over the
        // connection cap are refused (and freed) as they reach the event loop.
        let (peakRSS, peakQueued) = try await watch(server, until: start + 1.5)
        XCTAssertLessThanOrEqual(peakQueued, Self.connections * cap, "the per-connection cap holds")
        XCTAssertGreaterThan(peakQueued, Self.connections * cap / 2, "the attack did queue bytes")
        // Streams over the cap end with resource_exhausted (a trailers-only response: HEADERS
        // are not flow controlled, so the peer gets it despite its zero window).
        XCTAssertGreaterThan(server.counters.count(.outboundQueueFull), 0)
        XCTAssertGreaterThan(server.counters.rpcsFinished[.resourceExhausted, default: 0], 0, "\(server.counters.rpcsFinished)")
        // A second wave on a connection holding over half its cap is refused before any handler runs.
        let ran = handlersRun.withLockedValue { $0 }
        let refusedBefore = server.counters.count(.outboundQueueFull)
        try await peers[0].send(Self.policyStreams(Self.streamsPerConnection..<(Self.streamsPerConnection + 20)))
        try await eventually(10, "second wave refused") { server.counters.count(.outboundQueueFull) >= refusedBefore + 20 }
        XCTAssertEqual(handlersRun.withLockedValue { $0 }, ran, "no handler ran for the second wave")
        // While the attack holds (the refused messages freed and trimmed), RSS is the queues.
        try await Task.sleep(nanoseconds: UInt64(max(0, start + 3 - monotonicNow()) * 1e9))
        let held = residentBytes()
        // The write-stall timer resets the flow-control-blocked streams; the gauge returns to 0.
        try await eventually(20, "stalled streams reset") { server.counters.queuedOutboundBytes == 0 }
        XCTAssertGreaterThan(server.counters.count(.streamStalled), 0, "\(server.counters.rejected)")
        XCTAssertEqual(server.counters.count(.writeStall), 0, "the sockets never stalled")
        XCTAssertTrue(peers[0].frames.contains { $0.type == 3 && $0.errorCode == 0xb }, "RST_STREAM(ENHANCE_YOUR_CALM)")
        let queuedAfterResets = await server.queuedResponseBytes()
        XCTAssertEqual(queuedAfterResets, 0)
        for p in peers { await p.close() }
        try await eventually(20, "connections closed") { server.openConnections == 0 }
        XCTAssertEqual(server.counters.queuedOutboundBytes, 0)
        // The memory comes back (the allocator is trimmed a second after the queues are dropped).
        try await eventually(10, "RSS back near the baseline") { residentBytes() - before < 32 << 20 }
        let after = residentBytes()
        print("zero-window: \(Self.connections) connections × \(Self.streamsPerConnection) streams, RSS before \(before >> 20) MiB, "
              + "peak \(peakRSS >> 20) MiB, held \(held >> 20) MiB, after \(after >> 20) MiB; peak queued \(peakQueued >> 20) MiB")
        // Bounds: held ≤ the connections' caps + 48 MiB; the peak adds at most one message per
        // stream being produced while the first wave is refused.
        XCTAssertLessThan(held - before, Self.connections * cap + (48 << 20), "held RSS grew \((held - before) >> 20) MiB")
        let transient = Self.connections * Self.streamsPerConnection * Self.messageBytes
        XCTAssertLessThan(peakRSS - before, Self.connections * cap + transient + (64 << 20), "peak RSS grew \((peakRSS - before) >> 20) MiB")
        let client = h2cClient(server)
        let reply = try await client.unary(path: "/t.v1/Unary", metadata: auth, request: bytes("fine"))
        XCTAssertEqual(text(reply), "fine")
        await client.close()
        await server.shutdown(grace: 1)
    }

    /// The per-stream cap on its own (64 KiB): a message over it before the response began is
    /// refused with a trailers-only resource_exhausted; one that would go over it after the
    /// response began resets the stream with ENHANCE_YOUR_CALM and drops its queue.
    func testPerStreamCapRefusesBeforeAndResetsAfterTheResponseBegan() async throws {
        let server = try await startServer({ c in
            c.maxQueuedBytesPerStream = 64 << 10
            c.maxQueuedBytesPerConnection = 1 << 20
        }, routes: { s in
            try registerTestRoutes(s)
            try s.register(path: "/t.v1/Big", requestMessages: .one) { _, responder in
                try await responder.send([UInt8](repeating: 1, count: 100 << 10))
                return .ok
            }
            try s.register(path: "/t.v1/TwoHalves", requestMessages: .one) { _, responder in
                try await responder.send([UInt8](repeating: 1, count: 40 << 10))
                try await responder.send([UInt8](repeating: 2, count: 40 << 10))
                return .ok
            }
        })
        let p = try await RawPeer(port: server.cleartextPort!)
        let request: [UInt8] = [0, 0, 0, 0, 1, 0x31]
        try await p.send(H2Bytes.preface + H2Bytes.settings([(0x4, 0)]) + H2Bytes.frame(4, flags: 0x1)
                         + H2Bytes.headers(stream: 1, H2Bytes.requestBlock(path: "/t.v1/Big")) + H2Bytes.frame(0, flags: 0x1, stream: 1, request)
                         + H2Bytes.headers(stream: 3, H2Bytes.requestBlock(path: "/t.v1/TwoHalves")) + H2Bytes.frame(0, flags: 0x1, stream: 3, request))
        try await eventually(10, "both refused") { server.counters.count(.outboundQueueFull) == 2 }
        try await eventually(10, "stream 1: trailers-only HEADERS with END_STREAM") {
            p.frames.contains { $0.type == 1 && $0.stream == 1 && $0.flags & 0x1 != 0 }
        }
        try await eventually(10, "stream 3: RST_STREAM(ENHANCE_YOUR_CALM)") {
            p.frames.contains { $0.type == 3 && $0.stream == 3 && $0.errorCode == 0xb }
        }
        XCTAssertFalse(p.frames.contains { $0.type == 3 && $0.stream == 1 }, "stream 1 was answered, not reset")
        try await eventually(10, "handlers ended with resource_exhausted") { server.counters.rpcsFinished[.resourceExhausted, default: 0] == 2 }
        let queued = await server.queuedResponseBytes()
        XCTAssertEqual(queued, 0, "stream 3's queue was dropped")
        await p.close()
        await server.shutdown(grace: 1)
    }

    /// A slow reader is not a stalled one: a peer with a 1000-byte stream window that opens it
    /// every 100 ms keeps its stream past `writeStall` (its window is closed at most ticks, but
    /// bytes leave between them); once it stops opening it, the stream is reset.
    func testWindowLimitedTransferIsNotAStallUntilItStops() async throws {
        let server = try await startPolicyServer { c in c.timeouts.writeStall = 1 }
        let p = try await RawPeer(port: server.cleartextPort!)
        try await p.send(H2Bytes.preface + H2Bytes.settings([(0x4, 1000)]) + H2Bytes.frame(4, flags: 0x1) + Self.policyStreams(0..<1))
        let end = monotonicNow() + 3
        while monotonicNow() < end {
            try await Task.sleep(nanoseconds: 100_000_000)
            try await p.send(H2Bytes.windowUpdate(1, 1000))
        }
        let received = p.frames.filter { $0.type == 0 && $0.stream == 1 }.reduce(0) { $0 + $1.payload.count }
        XCTAssertGreaterThan(received, 20_000, "the transfer progressed")
        XCTAssertEqual(server.counters.count(.streamStalled), 0, "a progressing stream is not stalled")
        XCTAssertFalse(p.frames.contains { $0.type == 3 })
        try await eventually(10, "stalled stream reset") { server.counters.count(.streamStalled) == 1 }
        try await eventually(10, "RST_STREAM(ENHANCE_YOUR_CALM)") { p.frames.contains { $0.type == 3 && $0.stream == 1 && $0.errorCode == 0xb } }
        await p.close()
        await server.shutdown(grace: 1)
    }

    /// The same attack against caps set out of reach and a write-stall timer that never fires:
    /// the behaviour before the caps. Off by default (it takes ~1.6 GB); run with
    /// TRIBUTARY_ZERO_WINDOW_UNCAPPED=1 to reproduce the "before" figure of docs/transport.md.
    func testUncappedBaseline() async throws {
        guard ProcessInfo.processInfo.environment["TRIBUTARY_ZERO_WINDOW_UNCAPPED"] == "1" else {
            throw XCTSkip("set TRIBUTARY_ZERO_WINDOW_UNCAPPED=1 to measure the uncapped baseline")
        }
        let server = try await startPolicyServer { c in
            c.timeouts.writeStall = 600
            c.maxQueuedBytesPerStream = Int.max
            c.maxQueuedBytesPerConnection = Int.max
        }
        let before = residentBytes()
        let peers = try await attack(server)
        let (peakRSS, peakQueued) = try await watch(server, until: monotonicNow() + 5)
        for p in peers { await p.close() }
        try await eventually(20, "connections closed") { server.openConnections == 0 }
        try await Task.sleep(nanoseconds: 2_000_000_000)
        print("zero-window uncapped: RSS before \(before >> 20) MiB, peak \(peakRSS >> 20) MiB, after \(residentBytes() >> 20) MiB, peak queued \(peakQueued >> 20) MiB")
        XCTAssertGreaterThan(peakQueued, Self.connections * (16 << 20), "uncapped, the queues exceed the default cap")
        await server.shutdown(grace: 1)
    }
}
