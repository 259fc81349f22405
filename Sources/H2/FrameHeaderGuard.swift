// FrameHeaderGuard: follows HTTP/2 frame boundaries in the input so H2Session never
// hands nghttp2 a partial 9-byte frame header. Debian's nghttp2 1.52 backport of the
// CONTINUATION cap (CVE-2024-28182) counts one CONTINUATION per mem_recv call that
// reads part of its frame header, so a legitimate CONTINUATION whose header was split
// across reads could count up to 9 times against the cap (found by
// H2AttackTests.testTrickledHeadersProduceNothingUntilComplete).

/// Frame-boundary tracker over the inbound byte stream (RFC 9113 §3.4 preface, §4.1 frame header).
struct FrameHeaderGuard {
    static let headerSize = 9
    /// Bytes of the client connection preface still expected (servers only).
    private var prefaceLeft: Int
    /// Payload bytes of the current frame still expected.
    private var payloadLeft = 0
    /// A partial frame header held back until the rest arrives (< 9 bytes).
    private(set) var carry: [UInt8] = []

    init(expectsPreface: Bool) { prefaceLeft = expectsPreface ? 24 : 0 }

    /// How many bytes from `start` (at most `limit`) can be fed without ending inside a frame
    /// header; advances the tracker over them. A header is never split unless it is longer
    /// than `limit` allows from the start, which cannot happen for limit >= 9.
    mutating func safeLength(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int {
        let end = min(bytes.count, start + limit)
        var i = start
        while i < end {
            if prefaceLeft > 0 {
                let n = min(prefaceLeft, end - i); prefaceLeft -= n; i += n
            } else if payloadLeft > 0 {
                let n = min(payloadLeft, end - i); payloadLeft -= n; i += n
            } else {
                guard end - i >= Self.headerSize else { break }
                payloadLeft = Self.payloadLength(bytes[i], bytes[i + 1], bytes[i + 2])
                i += Self.headerSize
            }
        }
        return i - start
    }

    /// True when the tracker sits exactly at a frame header (so leftover bytes are a partial header).
    var atFrameHeader: Bool { prefaceLeft == 0 && payloadLeft == 0 }

    /// Holds back a partial header.
    mutating func hold(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) { carry.append(contentsOf: bytes) }

    /// Completes the held header with the first bytes of `bytes`.
    /// - Returns: the full 9-byte header and how many bytes of `bytes` it took, or nil when
    ///   `bytes` is still too short (then they are held too).
    mutating func completeHeader(_ bytes: UnsafeBufferPointer<UInt8>) -> (header: [UInt8], used: Int)? {
        let need = Self.headerSize - carry.count
        guard bytes.count >= need else { carry.append(contentsOf: bytes); return nil }
        let header = carry + bytes[0..<need]
        carry = []
        payloadLeft = Self.payloadLength(header[0], header[1], header[2])
        return (header, need)
    }

    private static func payloadLength(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        Int(a) << 16 | Int(b) << 8 | Int(c)
    }
}
