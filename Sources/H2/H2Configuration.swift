// H2Configuration: every HTTP/2 limit H2Session applies, with the defaults of
// TRANSPORT.md "Limits". Some are enforced by nghttp2 (concurrency, CONTINUATION
// cap, RST rate, ACK flood cap, SETTINGS entries), the rest by H2Session itself
// (header list bytes and fields, the glitch bucket, outbound watermarks).

/// Limits and window sizes for one ``H2Session``. A value type; every field has a documented default.
public struct H2Configuration: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise and enforce on the peer (nghttp2 refuses
    /// further streams with RST_STREAM(REFUSED_STREAM)). Default 100.
    public var maxConcurrentStreams: UInt32 = 100
    /// Largest decoded header list (sum of name + value + 32 per field, RFC 9113 §6.5.2) we accept
    /// in one header block. Advertised as SETTINGS_MAX_HEADER_LIST_SIZE and enforced by us in
    /// `on_header` (nghttp2 only advertises it). Default 8 KiB.
    public var maxHeaderListSize: UInt32 = 8 * 1024
    /// Most header fields accepted in one header block; enforced by us in `on_header`. Default 64.
    public var maxHeaderFields: Int = 64
    /// SETTINGS_HEADER_TABLE_SIZE: HPACK dynamic table of our decoder. Default 4096.
    public var headerTableSize: UInt32 = 4096
    /// Most CONTINUATION frames after one HEADERS frame (nghttp2 closes the session beyond it). Default 4.
    public var maxContinuations: Int = 4
    /// Incoming RST_STREAM token bucket (nghttp2, servers only; Rapid Reset): burst. Default 100.
    public var resetRateBurst: UInt64 = 100
    /// Incoming RST_STREAM token bucket: tokens regained per second. Default 10.
    public var resetRatePerSecond: UInt64 = 10
    /// Our "glitch" bucket: RST_STREAMs we send plus invalid frames received. When it runs dry we
    /// send GOAWAY(ENHANCE_YOUR_CALM) and close. Burst. Default 100.
    public var glitchBurst: Double = 100
    /// Glitch tokens regained per second. Default 10.
    public var glitchPerSecond: Double = 10
    /// SETTINGS_INITIAL_WINDOW_SIZE: receive window per stream. Default 1 MiB.
    public var streamWindowSize: Int32 = 1 << 20
    /// Receive window of the whole connection (set with `nghttp2_session_set_local_window_size`). Default 8 MiB.
    public var connectionWindowSize: Int32 = 8 << 20
    /// Most SETTINGS-ACK and PING-ACK frames nghttp2 may hold unsent before it treats the peer as
    /// flooding (`nghttp2_option_set_max_outbound_ack`). Default 1000 (nghttp2's own default).
    public var maxOutboundAcks: Int = 1000
    /// Most entries accepted in one incoming SETTINGS frame (`nghttp2_option_set_max_settings`). Default 32.
    public var maxSettingsEntries: Int = 32
    /// SETTINGS_MAX_FRAME_SIZE we advertise (the largest frame we accept). We send DATA frames
    /// as large as the peer allows (`data_source_read_length_callback`). Default 16 KiB (the
    /// protocol minimum): a DATA frame reaches the application only once it is complete, so
    /// larger frames delay delivery; 256 KiB measured no faster for 1 MiB messages and ~10 %
    /// slower for 64 KiB ones over TLS (docs/benchmarks.md).
    public var maxFrameSize: UInt32 = 16 * 1024
    /// Per-stream outbound bytes above which ``H2Session/isAboveHighWatermark(stream:)`` is true and
    /// writers should suspend. Default 1 MiB.
    public var outboundHighWatermark: Int = 1 << 20
    /// Per-stream outbound bytes below which a stream that crossed the high watermark is reported
    /// writable again (``H2Event/writable(stream:)``). Default 256 KiB.
    public var outboundLowWatermark: Int = 256 << 10
    /// Bytes given to `nghttp2_session_mem_recv` per call; `feed` stops as soon as nghttp2 no
    /// longer wants to read, so frames after a GOAWAY are not processed. Default 16 KiB.
    public var feedChunkSize: Int = 16 * 1024

    /// The defaults of TRANSPORT.md.
    public init() {}

    /// Checks the fields against the protocol's ranges.
    /// - Throws: ``H2Error/invalidConfiguration(_:)`` naming the field.
    public func validate() throws(H2Error) {
        func fail(_ m: String) -> H2Error { .invalidConfiguration(m) }
        if streamWindowSize <= 0 { throw fail("streamWindowSize must be in 1...2^31-1, got \(streamWindowSize)") }
        if connectionWindowSize < 65_535 { throw fail("connectionWindowSize must be at least 65535, got \(connectionWindowSize)") }
        if maxFrameSize < 16_384 || maxFrameSize > 16_777_215 { throw fail("maxFrameSize must be in 16384...16777215, got \(maxFrameSize)") }
        if maxHeaderFields < 1 { throw fail("maxHeaderFields must be positive, got \(maxHeaderFields)") }
        if maxContinuations < 0 { throw fail("maxContinuations must not be negative, got \(maxContinuations)") }
        if glitchBurst < 1 || glitchPerSecond < 0 { throw fail("glitchBurst must be >= 1 and glitchPerSecond >= 0") }
        if outboundLowWatermark > outboundHighWatermark || outboundLowWatermark < 0 {
            throw fail("outboundLowWatermark (\(outboundLowWatermark)) must be in 0...outboundHighWatermark (\(outboundHighWatermark))")
        }
        if feedChunkSize < 9 { throw fail("feedChunkSize must be at least 9 (one frame header), got \(feedChunkSize)") }
        if maxOutboundAcks < 1 || maxSettingsEntries < 1 { throw fail("maxOutboundAcks and maxSettingsEntries must be positive") }
    }
}
