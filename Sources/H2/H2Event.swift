// H2Event and friends: what H2Session reports to its owner (events, header fields,
// HTTP/2 error codes, counters) and the typed errors it throws.

/// One header field. HTTP/2 names are lowercase; values are decoded as UTF-8 (lossy).
public struct H2Header: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    public var description: String { "\(name): \(value)" }
}

/// HTTP/2 error codes (RFC 9113 §7). Unknown codes survive in ``other(_:)``.
public enum H2ErrorCode: Sendable, Hashable, CustomStringConvertible {
    case noError, protocolError, internalError, flowControlError, settingsTimeout, streamClosed
    case frameSizeError, refusedStream, cancel, compressionError, connectError, enhanceYourCalm
    case inadequateSecurity, http11Required, other(UInt32)

    public init(rawValue: UInt32) {
        let all: [H2ErrorCode] = [.noError, .protocolError, .internalError, .flowControlError, .settingsTimeout,
                                  .streamClosed, .frameSizeError, .refusedStream, .cancel, .compressionError,
                                  .connectError, .enhanceYourCalm, .inadequateSecurity, .http11Required]
        self = rawValue < UInt32(all.count) ? all[Int(rawValue)] : .other(rawValue)
    }

    /// The code on the wire.
    public var rawValue: UInt32 {
        switch self {
        case .noError: 0x0
        case .protocolError: 0x1
        case .internalError: 0x2
        case .flowControlError: 0x3
        case .settingsTimeout: 0x4
        case .streamClosed: 0x5
        case .frameSizeError: 0x6
        case .refusedStream: 0x7
        case .cancel: 0x8
        case .compressionError: 0x9
        case .connectError: 0xa
        case .enhanceYourCalm: 0xb
        case .inadequateSecurity: 0xc
        case .http11Required: 0xd
        case .other(let v): v
        }
    }

    public var description: String {
        switch self {
        case .other(let v): "error 0x\(String(v, radix: 16))"
        // RFC 9113 §7 names ("\(self)" would recurse into this property).
        default: ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
                  "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
                  "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"][Int(rawValue)]
        }
    }
}

/// Why H2Session refused an incoming header block (see ``H2Configuration``).
public enum H2HeaderViolation: Sendable, Hashable {
    /// The decoded list passed ``H2Configuration/maxHeaderListSize`` bytes.
    case listTooLarge(limit: UInt32)
    /// The block carried more than ``H2Configuration/maxHeaderFields`` fields.
    case tooManyFields(limit: Int)
}

/// Something that happened on the connection, in order.
public enum H2Event: Sendable, Hashable {
    /// A complete header block opened a stream (request on a server, response on a client).
    case headers(stream: Int32, headers: [H2Header], endStream: Bool)
    /// Bytes of one DATA frame. The receiver must later call ``H2Session/consume(stream:bytes:)``
    /// with `bytes.count` once it has taken them, or the peer's window never reopens.
    case data(stream: Int32, bytes: [UInt8], endStream: Bool)
    /// A trailing header block; it ends the stream.
    case trailers(stream: Int32, headers: [H2Header])
    /// We reset the stream because its header block broke a limit (also counted in ``H2Counters``).
    case headersRejected(stream: Int32, violation: H2HeaderViolation)
    /// The stream is gone; `errorCode` is ``H2ErrorCode/noError`` after a clean end. Also sent
    /// for streams never reported by ``headers(stream:headers:endStream:)`` (rejected, refused).
    /// Unconsumed DATA credit of the stream is returned to the connection window automatically.
    case streamClosed(stream: Int32, errorCode: H2ErrorCode)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not processed.
    case goAway(lastStreamID: Int32, errorCode: H2ErrorCode, debugData: [UInt8])
    /// The peer acknowledged our SETTINGS.
    case settingsAcked
    /// The peer acknowledged a PING we sent.
    case pingAcked(payload: UInt64)
    /// The stream's outbound queue fell below ``H2Configuration/outboundLowWatermark`` after
    /// having passed the high watermark: suspended writers may resume.
    case writable(stream: Int32)
}

/// Running totals since the session started (for metrics and tests).
public struct H2Counters: Sendable, Equatable {
    /// Streams opened by the peer (header blocks that began a stream).
    public var streamsOpened = 0
    /// RST_STREAM frames we sent.
    public var resetsSent = 0
    /// RST_STREAM frames we received.
    public var resetsReceived = 0
    /// Frames nghttp2 rejected as invalid (`on_invalid_frame_recv`).
    public var invalidFrames = 0
    /// Glitches charged to the glitch bucket (resets sent + invalid frames).
    public var glitches = 0
    /// Header blocks refused for breaking the byte or field limit.
    public var headerLimitViolations = 0
    /// GOAWAY frames we sent.
    public var goAwaysSent = 0
    public init() {}
}

/// Errors thrown by ``H2Session``. Fatal ones (all but `invalidConfiguration`, `unknownStream`
/// and `streamNotWritable`) mean the connection must be closed after draining any output.
public enum H2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration field is out of range; the message names it.
    case invalidConfiguration(String)
    /// The peer flooded us with frames that need an ACK (SETTINGS/PING) without reading ours.
    case flooded
    /// A header block went on for more CONTINUATION frames than allowed.
    case tooManyContinuations
    /// A server did not receive the HTTP/2 client preface.
    case badClientMagic
    /// The session was already closed by an earlier fatal error or GOAWAY.
    case sessionClosed
    /// No open stream with that ID that we can send on.
    case unknownStream(Int32)
    /// END_STREAM or trailers were already queued on the stream.
    case streamNotWritable(Int32)
    /// Any other nghttp2 failure: the function, its code and `nghttp2_strerror`.
    case nghttp2(function: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): "invalid H2 configuration: \(m)"
        case .flooded: "peer flooded the connection with frames needing ACKs (SETTINGS/PING) without reading"
        case .tooManyContinuations: "peer sent too many CONTINUATION frames in one header block"
        case .badClientMagic: "peer did not send the HTTP/2 client connection preface"
        case .sessionClosed: "the HTTP/2 session is closed"
        case .unknownStream(let s): "no open HTTP/2 stream \(s)"
        case .streamNotWritable(let s): "HTTP/2 stream \(s) already ended its outbound side"
        case .nghttp2(let f, let c, let m): "\(f) failed: \(m) (\(c))"
        }
    }
}
