// Message framing on an HTTP/2 stream (proto/PROTOCOL.md §4): every message is
// `flags u8 | length u32 big-endian | payload`. The `Deframer` is a streaming
// state machine fed arbitrary byte slices; it validates the flags and checks
// the declared length against the method's limit BEFORE allocating the payload.

/// Flag bits of the 5-byte message prefix.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Bit 0: payload is compressed. Reserved: no compression is defined, so it must be 0.
    public static let compressed = FrameFlags(rawValue: 0x01)
    /// Bit 1: the payload is a `StatusEnvelope`, the end-of-stream status carried in-band
    /// where HTTP/2 trailers are unavailable. Nothing may follow it on the stream.
    public static let statusEnvelope = FrameFlags(rawValue: 0x02)
    /// Bits 2…7: must be 0.
    public static let reservedMask: UInt8 = 0xFC
}

/// One deframed message (named so it is not confused with an HTTP/2 frame).
public struct FramedMessage: Sendable, Equatable {
    public var flags: FrameFlags
    public var payload: [UInt8]
    public init(flags: FrameFlags = [], payload: [UInt8]) {
        self.flags = flags
        self.payload = payload
    }
    /// True when the payload is an in-band `StatusEnvelope`.
    public var isStatusEnvelope: Bool { flags.contains(.statusEnvelope) }
}

/// Framing errors. Every one of them is fatal for the stream (status `invalidArgument`,
/// or `resourceExhausted` for `oversize`).
public enum FramingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bit outside {compressed, statusEnvelope} is set in the flags byte.
    case reservedFlagBits(flags: UInt8)
    /// The compressed flag is set; no compression is defined in protocol v1.
    case compressedNotSupported
    /// The declared payload length exceeds the method's maximum (checked before allocating).
    case oversize(length: UInt64, limit: Int)
    /// The stream ended inside a message: `have` of `need` bytes of the prefix or payload arrived.
    case truncated(have: Int, need: Int)
    /// A message arrived after the in-band status envelope.
    case dataAfterStatusEnvelope

    public var description: String {
        switch self {
        case .reservedFlagBits(let f):
            return "frame flags 0x\(String(f, radix: 16)) set reserved bits (mask 0xfc must be 0)"
        case .compressedNotSupported:
            return "frame has the compressed flag set; compression is not supported in protocol v1"
        case .oversize(let length, let limit):
            return "frame declares a \(length)-byte payload; this method's limit is \(limit) bytes"
        case .truncated(let have, let need):
            return "stream ended inside a frame: \(have) of \(need) bytes received"
        case .dataAfterStatusEnvelope:
            return "data after the end-of-stream status envelope"
        }
    }
}

/// Encodes the 5-byte prefix and whole frames.
public enum Framer {
    /// Size of the prefix: flags (1) + big-endian length (4).
    public static let prefixSize = 5

    /// The 5-byte prefix for a payload of `length` bytes, so a transport can write the
    /// prefix and the payload without concatenating them.
    public static func prefix(length: Int, flags: FrameFlags = []) -> [UInt8] {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "payload length out of u32 range")
        let n = UInt32(length)
        return [flags.rawValue, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
    }

    /// `prefix + payload`. Throws `oversize` when `payload.count > maxMessageBytes`, so a
    /// sender never emits a message the receiver must reject.
    public static func frame(_ payload: [UInt8], flags: FrameFlags = [], maxMessageBytes: Int) throws(FramingError) -> [UInt8] {
        guard payload.count <= maxMessageBytes else {
            throw FramingError.oversize(length: UInt64(payload.count), limit: maxMessageBytes)
        }
        return framed(payload, flags: flags)
    }

    /// `prefix + payload` in one allocation, without a limit check.
    public static func framed(_ payload: [UInt8], flags: FrameFlags = []) -> [UInt8] {
        precondition(UInt64(payload.count) <= UInt64(UInt32.max), "payload length out of u32 range")
        let n = UInt32(payload.count)
        return [UInt8](unsafeUninitializedCapacity: prefixSize + payload.count) { out, count in
            out[0] = flags.rawValue
            out[1] = UInt8(n >> 24); out[2] = UInt8((n >> 16) & 0xFF); out[3] = UInt8((n >> 8) & 0xFF); out[4] = UInt8(n & 0xFF)
            payload.withUnsafeBufferPointer { src in
                if let base = src.baseAddress, !src.isEmpty {
                    UnsafeMutableRawPointer(out.baseAddress! + prefixSize).copyMemory(from: base, byteCount: src.count)
                }
            }
            count = prefixSize + payload.count
        }
    }
}

/// Streaming deframer. Feed it whatever slices the transport delivers (a message may be
/// split across any number of slices; one slice may hold several messages); it returns the
/// complete messages. The length is validated against `maxMessageBytes` as soon as the
/// 5-byte prefix is complete, before any payload storage is reserved. Errors are sticky:
/// once `feed` throws, every later call throws the same error (messages completed earlier
/// in the failing call are discarded with it: the stream is dead anyway).
public struct Deframer: Sendable {
    /// Largest accepted payload in bytes (the method's limit, PROTOCOL.md §9).
    public let maxMessageBytes: Int
    /// Prefix bytes received so far, accumulated big-endian (flags in bits 32–39 once complete).
    private var header: UInt64 = 0
    private var headerCount = 0
    private var flags: FrameFlags = []
    private var needed = 0          // payload bytes of the current message, valid while inPayload
    private var payload: [UInt8] = []
    private var inPayload = false
    private var sawEnvelope = false
    private var failure: FramingError?

    public init(maxMessageBytes: Int) {
        precondition(maxMessageBytes >= 0)
        self.maxMessageBytes = maxMessageBytes
    }

    /// True when no partial message is buffered (a clean point to end the stream).
    public var isIdle: Bool { !inPayload && headerCount == 0 }

    /// Feeds bytes; returns every message completed by them, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(FramingError) -> [FramedMessage] {
        var frames: [FramedMessage] = []
        try feed(bytes, into: &frames)
        return frames
    }

    /// Feeds bytes and appends every message they complete to `frames` (a caller that keeps
    /// one array across calls allocates none per call).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into frames: inout [FramedMessage]) throws(FramingError) {
        if let failure { throw failure }
        var i = 0
        let n = bytes.count
        do {
            while i < n {
                if !inPayload {
                    header = header << 8 | UInt64(bytes[i])
                    headerCount += 1
                    i += 1
                    if headerCount == Framer.prefixSize { try beginPayload(&frames) }
                } else {
                    let take = min(needed - payload.count, n - i)
                    payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i ..< i + take]))
                    i += take
                    if payload.count == needed { emit(&frames) }
                }
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Convenience for arrays and other contiguous byte collections.
    public mutating func feed(_ bytes: [UInt8]) throws(FramingError) -> [FramedMessage] {
        var frames: [FramedMessage] = []
        try feed(bytes, into: &frames)
        return frames
    }

    /// `feed(_:into:)` for an array.
    public mutating func feed(_ bytes: [UInt8], into frames: inout [FramedMessage]) throws(FramingError) {
        var failure: FramingError?
        bytes.withUnsafeBytes { raw in
            do throws(FramingError) { try feed(raw, into: &frames) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Call at the end of the stream: throws `truncated` when a partial message is buffered.
    public func finish() throws(FramingError) {
        if let failure { throw failure }
        if inPayload {
            throw FramingError.truncated(have: Framer.prefixSize + payload.count, need: Framer.prefixSize + needed)
        }
        if headerCount > 0 { throw FramingError.truncated(have: headerCount, need: Framer.prefixSize) }
    }

    private mutating func beginPayload(_ frames: inout [FramedMessage]) throws(FramingError) {
        let f = UInt8(truncatingIfNeeded: header >> 32)
        if sawEnvelope { throw .dataAfterStatusEnvelope }
        if f & FrameFlags.reservedMask != 0 { throw .reservedFlagBits(flags: f) }
        if f & FrameFlags.compressed.rawValue != 0 { throw .compressedNotSupported }
        let length = header & 0xFFFF_FFFF
        // The limit check comes first: nothing is reserved for a message we will reject.
        guard length <= UInt64(maxMessageBytes) else { throw .oversize(length: length, limit: maxMessageBytes) }
        flags = FrameFlags(rawValue: f)
        needed = Int(length)
        header = 0
        headerCount = 0
        payload = []
        payload.reserveCapacity(needed)
        inPayload = true
        if needed == 0 { emit(&frames) }
    }

    private mutating func emit(_ frames: inout [FramedMessage]) {
        frames.append(FramedMessage(flags: flags, payload: payload))
        if flags.contains(.statusEnvelope) { sawEnvelope = true }
        payload = []
        inPayload = false
        needed = 0
    }
}
