// RawFrames: a hand-written HTTP/2 frame writer and reader for the attack tests,
// so the adversary does not go through nghttp2 (RFC 9113 §4 frame layout, RFC 7541
// §5.1/§6.2.2 for the HPACK integer and "literal without indexing, new name").

import H2

enum FrameType: UInt8 {
    case data = 0, headers = 1, priority = 2, rstStream = 3, settings = 4, pushPromise = 5
    case ping = 6, goAway = 7, windowUpdate = 8, continuation = 9
}

enum Raw {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let endStream: UInt8 = 0x1, ack: UInt8 = 0x1, endHeaders: UInt8 = 0x4

    /// 9-byte header + payload.
    static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type.rawValue, flags]
            + be32(stream & 0x7fff_ffff) + payload
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func settings(_ entries: [(UInt16, UInt32)] = [], ack: Bool = false) -> [UInt8] {
        frame(.settings, flags: ack ? Self.ack : 0,
              entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + be32($0.1) })
    }

    static func ping(_ payload: UInt64, ack: Bool = false) -> [UInt8] {
        frame(.ping, flags: ack ? Self.ack : 0, (0..<8).map { UInt8(payload >> (56 - 8 * UInt64($0)) & 0xff) })
    }

    static func rst(stream: UInt32, code: UInt32) -> [UInt8] { frame(.rstStream, stream: stream, be32(code)) }

    static func headers(stream: UInt32, block: [UInt8], endStream: Bool = false, endHeaders: Bool = true) -> [UInt8] {
        frame(.headers, flags: (endStream ? Self.endStream : 0) | (endHeaders ? Self.endHeaders : 0), stream: stream, block)
    }

    static func continuation(stream: UInt32, block: [UInt8], endHeaders: Bool) -> [UInt8] {
        frame(.continuation, flags: endHeaders ? Self.endHeaders : 0, stream: stream, block)
    }

    static func data(stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(.data, flags: endStream ? Self.endStream : 0, stream: stream, bytes)
    }

    static func windowUpdate(stream: UInt32, increment: UInt32) -> [UInt8] { frame(.windowUpdate, stream: stream, be32(increment)) }

    /// HPACK integer with an n-bit prefix (RFC 7541 §5.1).
    static func hpackInt(_ value: Int, prefixBits: Int, firstByte: UInt8 = 0) -> [UInt8] {
        let max = (1 << prefixBits) - 1
        if value < max { return [firstByte | UInt8(value)] }
        var out = [firstByte | UInt8(max)]
        var v = value - max
        while v >= 128 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    /// Header block of "literal without indexing, new name" fields (no Huffman).
    static func hpack(_ fields: [(String, String)]) -> [UInt8] {
        fields.flatMap { name, value -> [UInt8] in
            let n = Array(name.utf8), v = Array(value.utf8)
            return [0x00] + hpackInt(n.count, prefixBits: 7) + n + hpackInt(v.count, prefixBits: 7) + v
        }
    }

    static func request(path: String = "/", extra: [(String, String)] = []) -> [UInt8] {
        hpack([(":method", "POST"), (":scheme", "https"), (":path", path), (":authority", "localhost")] + extra)
    }
}

/// A frame parsed back out of a session's output.
struct ParsedFrame: Equatable {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var errorCode: UInt32? {
        switch type {
        case FrameType.rstStream.rawValue: return u32(0)
        case FrameType.goAway.rawValue: return u32(4)
        default: return nil
        }
    }
    var goAwayLastStream: UInt32? { type == FrameType.goAway.rawValue ? u32(0) & 0x7fff_ffff : nil }
    private func u32(_ at: Int) -> UInt32 { payload[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
}

/// Splits server output into frames (skipping nothing: servers send no preface magic).
func parseFrames(_ bytes: [UInt8], skipClientPreface: Bool = false) -> [ParsedFrame] {
    var frames: [ParsedFrame] = []
    var i = skipClientPreface ? Raw.preface.count : 0
    while i + 9 <= bytes.count {
        let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
        guard i + 9 + n <= bytes.count else { break }
        let stream = bytes[i + 5..<i + 9].reduce(0) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
        frames.append(ParsedFrame(type: bytes[i + 3], flags: bytes[i + 4], stream: stream,
                                  payload: Array(bytes[i + 9..<i + 9 + n])))
        i += 9 + n
    }
    return frames
}

extension Array where Element == ParsedFrame {
    var goAways: [ParsedFrame] { filter { $0.type == FrameType.goAway.rawValue } }
    var resets: [ParsedFrame] { filter { $0.type == FrameType.rstStream.rawValue } }
}

/// A test clock for the glitch bucket: time only moves when the test says so.
final class ManualClock: @unchecked Sendable {
    var seconds: Double = 1000
}
