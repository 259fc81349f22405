// Pair: a client H2Session wired to a server H2Session in memory; pump() moves bytes
// both ways until neither has anything left to send, collecting each side's events.

import XCTest
import H2

final class Pair {
    let client: H2Session
    let server: H2Session
    var clientEvents: [H2Event] = []
    var serverEvents: [H2Event] = []

    init(client: H2Configuration = H2Configuration(), server: H2Configuration = H2Configuration()) throws {
        self.client = try H2Session(role: .client, configuration: client)
        self.server = try H2Session(role: .server, configuration: server)
    }

    /// Moves bytes until quiet; returns how many bytes crossed in total.
    @discardableResult
    func pump(maxRounds: Int = 10_000) throws -> Int {
        var total = 0
        for _ in 0..<maxRounds {
            let toServer = try client.drainOutput()
            clientEvents += client.takeEvents()
            if !toServer.isEmpty { serverEvents += try server.feed(toServer) }
            let toClient = try server.drainOutput()
            serverEvents += server.takeEvents()
            if !toClient.isEmpty { clientEvents += try client.feed(toClient) }
            total += toServer.count + toClient.count
            if toServer.isEmpty && toClient.isEmpty { return total }
        }
        XCTFail("pump did not settle")
        return total
    }
}

func request(_ path: String = "/echo", extra: [H2Header] = []) -> [H2Header] {
    [H2Header(":method", "POST"), H2Header(":scheme", "https"), H2Header(":path", path),
     H2Header(":authority", "localhost")] + extra
}

/// Deterministic test payload: byte i is a function of (seed, i).
func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 10)) }
}

extension [H2Event] {
    /// Concatenated DATA bytes for one stream, and whether END_STREAM was seen.
    func body(stream: Int32) -> (bytes: [UInt8], ended: Bool) {
        var out: [UInt8] = [], ended = false
        for case let .data(s, b, e) in self where s == stream { out += b; ended = ended || e }
        return (out, ended)
    }
    func headerBlocks(stream: Int32? = nil) -> [(Int32, [H2Header], Bool)] {
        compactMap { if case let .headers(s, h, e) = $0, stream == nil || s == stream { (s, h, e) } else { nil } }
    }
    func closed(stream: Int32) -> H2ErrorCode? {
        for case let .streamClosed(s, code) in self where s == stream { return code }
        return nil
    }
}
