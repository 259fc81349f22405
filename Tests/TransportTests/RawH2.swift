// A raw HTTP/2 peer for attack tests: writes hand-built frames (HPACK literals, no
// Huffman) over a plain socket and records what the server sends back, parsed into frames.

import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Transport

struct RawFrame {
    let type: UInt8
    let flags: UInt8
    let stream: UInt32
    let payload: [UInt8]
    /// GOAWAY or RST_STREAM error code.
    var errorCode: UInt32? {
        switch type {
        case 7 where payload.count >= 8: UInt32(payload[4]) << 24 | UInt32(payload[5]) << 16 | UInt32(payload[6]) << 8 | UInt32(payload[7])
        case 3 where payload.count >= 4: UInt32(payload[0]) << 24 | UInt32(payload[1]) << 16 | UInt32(payload[2]) << 8 | UInt32(payload[3])
        default: nil
        }
    }
}

enum H2Bytes {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    /// HPACK integer with an N-bit prefix (RFC 7541 §5.1).
    static func integer(_ value: Int, prefixBits: Int, first: UInt8 = 0) -> [UInt8] {
        let max = (1 << prefixBits) - 1
        if value < max { return [first | UInt8(value)] }
        var out = [first | UInt8(max)]
        var v = value - max
        while v >= 128 { out.append(UInt8(v % 128 + 128)); v /= 128 }
        out.append(UInt8(v))
        return out
    }

    /// Literal header field without indexing, new name (RFC 7541 §6.2.2).
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        [0x00] + integer(name.utf8.count, prefixBits: 7) + Array(name.utf8) + integer(value.utf8.count, prefixBits: 7) + Array(value.utf8)
    }

    static func requestBlock(path: String, extra: [(String, String)] = [], contentType: String = "application/x-tributary-v1") -> [UInt8] {
        var b = literal(":method", "POST") + literal(":scheme", "http") + literal(":path", path) + literal(":authority", "x")
        b += literal("content-type", contentType) + literal("authorization", "Bearer worker-secret")
        for (n, v) in extra { b += literal(n, v) }
        return b
    }

    static func headers(stream: UInt32, _ block: [UInt8], endStream: Bool = false, endHeaders: Bool = true) -> [UInt8] {
        frame(1, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), stream: stream, block)
    }

    static func settings(_ entries: [(UInt16, UInt32)] = []) -> [UInt8] {
        frame(4, payload: entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + u32($0.1) })
    }

    private static func frame(_ type: UInt8, payload: [UInt8]) -> [UInt8] { frame(type, flags: 0, stream: 0, payload) }

    static func rst(_ stream: UInt32, code: UInt32 = 8) -> [UInt8] { frame(3, stream: stream, u32(code)) }
    static func windowUpdate(_ stream: UInt32, _ increment: UInt32) -> [UInt8] { frame(8, stream: stream, u32(increment)) }
    static func ping(_ n: UInt8) -> [UInt8] { frame(6, stream: 0, [UInt8](repeating: n, count: 8)) }
}

/// A connection that writes raw bytes and collects the server's bytes.
final class RawPeer: Sendable {
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let b = unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: b.readableBytesView) }
        }
        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }

    let channel: Channel
    let collector: Collector
    let group: MultiThreadedEventLoopGroup

    /// - Parameter reads: false leaves the socket unread (autoRead off): a peer that never reads.
    init(port: Int, reads: Bool = true) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let collector = Collector()
        self.group = group
        self.collector = collector
        self.channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.autoRead, value: reads)
            .channelInitializer { $0.pipeline.addHandler(collector) }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    var isClosed: Bool { collector.closed.withLockedValue { $0 } }

    /// The frames received so far.
    var frames: [RawFrame] {
        let bytes = collector.received.withLockedValue { $0 }
        var out: [RawFrame] = []
        var i = 0
        while i + 9 <= bytes.count {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            guard i + 9 + n <= bytes.count else { break }
            let stream = UInt32(bytes[i + 5] & 0x7f) << 24 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 8 | UInt32(bytes[i + 8])
            out.append(RawFrame(type: bytes[i + 3], flags: bytes[i + 4], stream: stream, payload: Array(bytes[(i + 9)..<(i + 9 + n)])))
            i += 9 + n
        }
        return out
    }

    var goAwayCode: UInt32? { frames.last { $0.type == 7 }?.errorCode }

    func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// A raw server that answers SETTINGS, then GOAWAY(last stream 0) once a request's HEADERS arrive,
/// so no stream is ever processed. Counts connections. With `silent`, it sends no GOAWAY and
/// never answers anything after its SETTINGS (a hung peer: PINGs go unacknowledged).
final class GoAwayServer: Sendable {
    let silent: Bool
    init(silent: Bool = false) { self.silent = silent }

    final class Responder: ChannelInboundHandler, Sendable {
        let silent: Bool
        init(silent: Bool) { self.silent = silent }
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        /// (input so far, SETTINGS sent, GOAWAY sent)
        let state = NIOLockedValueBox(([UInt8](), false, false))
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let b = unwrapInboundIn(data)
            var out: [UInt8] = []
            state.withLockedValue { s in
                s.0 += b.readableBytesView
                if !s.1 { s.1 = true; out += H2Bytes.settings() + H2Bytes.frame(4, flags: 0x1) }
                // GOAWAY(last 0) once a HEADERS frame (a request) has arrived.
                var i = 24
                while !s.2, !silent, i + 9 <= s.0.count {
                    let n = Int(s.0[i]) << 16 | Int(s.0[i + 1]) << 8 | Int(s.0[i + 2])
                    if s.0[i + 3] == 0x1 {
                        s.2 = true
                        out += H2Bytes.frame(7, stream: 0, H2Bytes.u32(0) + H2Bytes.u32(0))
                    }
                    i += 9 + n
                }
            }
            if !out.isEmpty { context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: out)), promise: nil) }
        }
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let connections = NIOLockedValueBox(0)
    private let channel = NIOLockedValueBox<Channel?>(nil)

    func start() async throws -> Int {
        let connections = connections, silent = silent
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                connections.withLockedValue { $0 += 1 }
                return ch.pipeline.addHandler(Responder(silent: silent))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel.withLockedValue { $0 = channel }
        return channel.localAddress!.port!
    }

    func stop() async {
        try? await channel.withLockedValue { $0 }?.close()
        try? await group.shutdownGracefully()
    }
}
