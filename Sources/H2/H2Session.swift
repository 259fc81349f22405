// H2Session: one nghttp2 session (client or server) fed from and drained to memory.
// No sockets, no event loop: the owner (Transport's channel handler, or a test) moves
// bytes. Callbacks live in H2Session+Callbacks.swift, the outbound body queue in
// H2Session+Outbound.swift. See TRANSPORT.md "Library facts" for the rules followed here.

import CNGHTTP2
import Dispatch

/// One HTTP/2 connection's protocol state, driven entirely through memory.
///
/// **Threading:** not `Sendable`. Create, use and drop an `H2Session` on one thread (in
/// Tributary: the connection's NIO event loop). nghttp2 itself is not thread-safe.
///
/// **Driving it:** pass every received byte to ``feed(_:)-([UInt8])`` (which returns the
/// resulting events), submit requests/responses/data, and after each batch of reads and
/// writes call ``drainOutput()`` and write the bytes out. Stop when both ``wantsRead`` and
/// ``wantsWrite`` are false. Inbound flow control follows the application: call
/// ``consume(stream:bytes:)`` once the bytes of a ``H2Event/data(stream:bytes:endStream:)``
/// event have been taken; WINDOW_UPDATEs are only sent then.
public final class H2Session {
    /// Which end of the connection this session is.
    public enum Role: Sendable { case client, server }

    public let role: Role
    public let configuration: H2Configuration
    /// Running totals (streams, resets, glitches, header-limit violations…).
    public internal(set) var counters = H2Counters()

    let session: OpaquePointer
    let now: () -> Double
    var events: [H2Event] = []
    var inbound = StreamTable<InboundStream>() { didSet { lastInbound = nil } }
    private var lastInbound: (id: Int32, state: InboundStream)?
    var outbound = StreamTable<OutboundStream>()
    /// Body bytes queued on all streams (kept as a running total: read per response message).
    public internal(set) var totalQueuedBytes = 0
    var glitchBucket: GlitchBucket
    /// States of closed streams, reset and kept for the next streams (no allocation per stream).
    var spareInbound: [InboundStream] = []
    /// Recently received long header strings, reused for identical bytes.
    var headerStrings = HeaderStrings()
    /// Connection-window credit of closed streams; returned after nghttp2 returns.
    var pendingConnectionCredit = 0
    /// Set once we sent a GOAWAY with an error code: no further input is processed.
    var stoppedReading = false
    /// Where the `mem_send` loop in progress puts its bytes; ``sendData(stream:header:length:padding:)``
    /// writes NO_COPY DATA frames to it. Set only inside ``pump(limit:_:)``.
    var outputSink: ((UnsafeRawBufferPointer) -> Void)?
    /// Output serialised during `feed`, handed out first by the next drain.
    var stash: [UInt8] = []
    var stashLimit: Int { 4 * configuration.feedChunkSize }
    /// Keeps partial frame headers out of nghttp2.
    var frameGuard: FrameHeaderGuard
    var terminated = false
    var fatalFailure: H2Error?
    /// Streams that crossed the high watermark and await a ``H2Event/writable(stream:)``.
    var overHighWatermark: Set<Int32> = []

    /// Per-stream inbound state (header accumulation, the current DATA frame, unconsumed bytes).
    /// A reference type: callbacks mutate it through `inboundState(_:)` without copying its
    /// arrays, and the last one used is cached (header callbacks come in runs for one stream).
    final class InboundStream {
        var headers: [H2Header] = []
        var headerBytes = 0
        var rejected = false
        var sawHeaders = false
        var frameData: [UInt8] = []
        var unconsumed = 0
    }

    /// Creates a session and queues our SETTINGS and the connection WINDOW_UPDATE.
    /// - Parameters:
    ///   - role: client or server.
    ///   - configuration: limits (validated).
    ///   - now: monotonic seconds for the glitch bucket; tests inject a manual clock.
    /// - Throws: ``H2Error/invalidConfiguration(_:)`` or ``H2Error/nghttp2(function:code:message:)``.
    public init(role: Role, configuration: H2Configuration = H2Configuration(),
                now: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) throws(H2Error) {
        try configuration.validate()
        self.role = role
        self.configuration = configuration
        self.now = now
        self.frameGuard = FrameHeaderGuard(expectsPreface: role == .server)
        self.glitchBucket = GlitchBucket(burst: configuration.glitchBurst,
                                         perSecond: configuration.glitchPerSecond, now: now())

        var callbacks: OpaquePointer?
        try Self.check(nghttp2_session_callbacks_new(&callbacks), "nghttp2_session_callbacks_new")
        defer { nghttp2_session_callbacks_del(callbacks) }
        H2Callbacks.install(callbacks)

        var option: OpaquePointer?
        try Self.check(nghttp2_option_new(&option), "nghttp2_option_new")
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_continuations(option, configuration.maxContinuations)
        nghttp2_option_set_stream_reset_rate_limit(option, configuration.resetRateBurst, configuration.resetRatePerSecond)
        nghttp2_option_set_max_outbound_ack(option, configuration.maxOutboundAcks)
        nghttp2_option_set_max_settings(option, configuration.maxSettingsEntries)
        nghttp2_option_set_peer_max_concurrent_streams(option, 100)

        var created: OpaquePointer?
        let rv = role == .server
            ? nghttp2_session_server_new2(&created, callbacks, nil, option)
            : nghttp2_session_client_new2(&created, callbacks, nil, option)
        try Self.check(rv, role == .server ? "nghttp2_session_server_new2" : "nghttp2_session_client_new2")
        guard let created else { throw .nghttp2(function: "nghttp2_session_new", code: 0, message: "no session") }
        self.session = created
        nghttp2_session_set_user_data(session, Unmanaged.passUnretained(self).toOpaque())
        try submitInitialSettings()
    }

    deinit { nghttp2_session_del(session) }

    private func submitInitialSettings() throws(H2Error) {
        let c = configuration
        func entry(_ id: nghttp2_settings_id, _ v: UInt32) -> nghttp2_settings_entry {
            nghttp2_settings_entry(settings_id: Int32(id.rawValue), value: v)
        }
        var entries = [
            entry(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c.maxConcurrentStreams),
            entry(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, UInt32(c.streamWindowSize)),
            entry(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, c.headerTableSize),
            entry(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c.maxHeaderListSize),
            entry(NGHTTP2_SETTINGS_MAX_FRAME_SIZE, c.maxFrameSize),
        ]
        if role == .client { entries.append(entry(NGHTTP2_SETTINGS_ENABLE_PUSH, 0)) }
        try Self.check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count),
                       "nghttp2_submit_settings")
        // The connection window is not a setting: raise it from 65535 with a WINDOW_UPDATE.
        try Self.check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0,
                                                             c.connectionWindowSize),
                       "nghttp2_session_set_local_window_size")
    }

    // MARK: - Reading

    /// Processes received bytes and returns the events they produced (plus any queued earlier).
    ///
    /// Bytes go to nghttp2 at most ``H2Configuration/feedChunkSize`` at a time. Between chunks,
    /// frames nghttp2 queued are serialised into an internal buffer (at most 4 chunks' worth;
    /// ``drainOutput()`` returns it first), so a GOAWAY nghttp2 decided on counts as sent. Once
    /// nghttp2 no longer wants to read, or we sent an error GOAWAY, the rest is dropped unprocessed.
    /// A stream may open and close within one batch of events (e.g. Rapid Reset): start work
    /// for a request only after looking at the whole batch.
    /// - Throws: a fatal ``H2Error`` (flood, CONTINUATION flood, bad preface…). The session then
    ///   queues GOAWAY where it can: drain the output, write it, and close. Events produced before
    ///   the error stay available from ``takeEvents()``.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(H2Error) -> [H2Event] {
        if let fatalFailure { throw fatalFailure }
        let input = bytes.bindMemory(to: UInt8.self)
        var offset = 0
        if !frameGuard.carry.isEmpty {
            guard let (header, used) = frameGuard.completeHeader(input) else { return takeEvents() }
            try header.withUnsafeBufferPointer { h throws(H2Error) in try receive(h, from: 0, count: h.count) }
            offset = used
        }
        while offset < input.count, !stoppedReading, nghttp2_session_want_read(session) != 0 {
            // Never end a call inside a 9-byte frame header (see FrameHeaderGuard).
            let n = frameGuard.safeLength(input, from: offset, limit: configuration.feedChunkSize)
            if n == 0 {
                frameGuard.hold(input[offset...])
                break
            }
            try receive(input, from: offset, count: n)
            offset += n
        }
        return takeEvents()
    }

    /// One nghttp2_session_mem_recv call, then deferred actions and a bounded drain.
    private func receive(_ input: UnsafeBufferPointer<UInt8>, from offset: Int, count: Int) throws(H2Error) {
        let rv = nghttp2_session_mem_recv(session, input.baseAddress! + offset, count)
        if rv < 0 {
            let error = Self.fatal(Int32(rv), "nghttp2_session_mem_recv")
            fail(error)
            throw error
        }
        applyDeferredActions()
        // Serialise what nghttp2 queued (notably a GOAWAY it decided on) before the next
        // chunk, so it counts as sent and later streams in the input are ignored. Bounded:
        // beyond the stash limit frames stay in nghttp2, where its ACK-flood cap applies.
        if stash.count < stashLimit { try send(into: &stash, limit: stashLimit) }
    }

    /// Array convenience for ``feed(_:)-(UnsafeRawBufferPointer)``.
    public func feed(_ bytes: [UInt8]) throws(H2Error) -> [H2Event] {
        var result: Result<[H2Event], H2Error> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(H2Error) { result = .success(try feed(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Returns and clears the events queued so far (including ``H2Event/writable(stream:)`` from draining).
    public func takeEvents() -> [H2Event] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Returns flow-control credit for `bytes` bytes of a stream's DATA the application has taken,
    /// so nghttp2 may send WINDOW_UPDATE. Credit for a stream that has closed was already given
    /// back when it closed, so calls for closed streams are ignored.
    public func consume(stream: Int32, bytes: Int) {
        guard bytes > 0, let state = existingInbound(stream) else { return }
        let n = min(bytes, state.unconsumed)
        state.unconsumed -= n
        if n > 0 { _ = nghttp2_session_consume(session, stream, n) }
    }

    /// The state of `stream`, created when missing.
    func inboundState(_ stream: Int32) -> InboundStream {
        if let last = lastInbound, last.id == stream { return last.state }
        let state: InboundStream
        if let known = inbound[stream] {
            state = known
        } else {
            state = spareInbound.popLast() ?? InboundStream()
            inbound[stream] = state
        }
        lastInbound = (stream, state)
        return state
    }

    /// The state of `stream` when it has one.
    func existingInbound(_ stream: Int32) -> InboundStream? {
        if let last = lastInbound, last.id == stream { return last.state }
        guard let known = inbound[stream] else { return nil }
        lastInbound = (stream, known)
        return known
    }

    // MARK: - Writing

    /// Serialises every frame nghttp2 is ready to send (honouring flow control) into `buffer`.
    /// - Throws: a fatal ``H2Error`` if nghttp2 fails; the connection must be closed.
    /// Hands every ready frame's bytes to `sink` as nghttp2 serialises them (the NIO handler
    /// copies them once, straight into its outbound buffer).
    public func drainOutput(_ sink: (UnsafeRawBufferPointer) -> Void) throws(H2Error) {
        if !stash.isEmpty {
            stash.withUnsafeBytes { sink($0) }
            stash.removeAll(keepingCapacity: true)
        }
        try pump(limit: .max, sink)
        reportWritableStreams()
    }

    public func drainOutput(into buffer: inout [UInt8]) throws(H2Error) {
        if !stash.isEmpty {
            buffer.append(contentsOf: stash)
            stash.removeAll(keepingCapacity: true)
        }
        try send(into: &buffer, limit: .max)
        reportWritableStreams()
    }

    /// Runs nghttp2_session_mem_send until it has nothing more or `buffer` reaches `limit`.
    private func send(into buffer: inout [UInt8], limit: Int) throws(H2Error) {
        var out = buffer
        buffer = []
        defer { buffer = out }
        try pump(limit: limit - out.count) { out.append(contentsOf: $0) }
    }

    /// Runs nghttp2_session_mem_send until it has nothing more or `limit` bytes went to `sink`,
    /// which also receives NO_COPY DATA frames (``sendData(stream:header:length:padding:)``) in order.
    private func pump(limit: Int, _ sink: (UnsafeRawBufferPointer) -> Void) throws(H2Error) {
        var written = 0
        let failure: H2Error? = withoutActuallyEscaping({ (bytes: UnsafeRawBufferPointer) in
            written += bytes.count
            sink(bytes)
        }) { counted -> H2Error? in
            outputSink = counted
            defer { outputSink = nil }
            while written < limit {
                var pointer: UnsafePointer<UInt8>?
                let n = nghttp2_session_mem_send(session, &pointer)
                if n < 0 { return Self.fatal(Int32(n), "nghttp2_session_mem_send") }
                if n == 0 { break }
                if let pointer { counted(UnsafeRawBufferPointer(start: pointer, count: n)) }
                applyDeferredActions()
            }
            return nil
        }
        if let failure {
            fatalFailure = failure
            throw failure
        }
    }

    /// Returns every frame nghttp2 is ready to send. See ``drainOutput(into:)``.
    public func drainOutput() throws(H2Error) -> [UInt8] {
        var out: [UInt8] = []
        try drainOutput(into: &out)
        return out
    }

    /// True while nghttp2 wants more input (false after GOAWAY both ways or a fatal error).
    public var wantsRead: Bool { fatalFailure == nil && !stoppedReading && nghttp2_session_want_read(session) != 0 }
    /// True while there are frames to send or streams to serve.
    public var wantsWrite: Bool { !stash.isEmpty || nghttp2_session_want_write(session) != 0 }
    /// Frames queued inside nghttp2 (control and HEADERS), a bound the transport can watch.
    public var nghttp2OutboundFrames: Int { nghttp2_session_get_outbound_queue_size(session) }
    /// Tokens left in the glitch bucket (for tests and metrics).
    public var glitchTokens: Double { glitchBucket.tokens }

    /// Sends a PING; the ACK arrives as ``H2Event/pingAcked(payload:)``.
    public func ping(payload: UInt64) throws(H2Error) {
        var bytes = payload.bigEndian
        try withUnsafeBytes(of: &bytes) { raw throws(H2Error) in
            try Self.check(nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
                                               raw.baseAddress?.assumingMemoryBound(to: UInt8.self)),
                           "nghttp2_submit_ping")
        }
    }

    /// Server only: the first half of a graceful shutdown (GOAWAY with last stream 2^31-1).
    /// Follow it, after at least one round trip, with ``goAway(errorCode:lastStreamID:)``.
    public func sendShutdownNotice() throws(H2Error) {
        try Self.check(nghttp2_submit_shutdown_notice(session), "nghttp2_submit_shutdown_notice")
    }

    /// Sends GOAWAY: no new streams above `lastStreamID` (default: the last one we processed);
    /// existing streams continue. The session stops wanting to read and write once they finish.
    public func goAway(errorCode: H2ErrorCode = .noError, lastStreamID: Int32? = nil) throws(H2Error) {
        let last = lastStreamID ?? nghttp2_session_get_last_proc_stream_id(session)
        try Self.check(nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode.rawValue, nil, 0),
                       "nghttp2_submit_goaway")
    }

    /// Sends GOAWAY(`errorCode`) and closes the session once it is written (streams are dropped).
    /// Only queues the frame, so it is also safe inside nghttp2 callbacks.
    public func terminate(errorCode: H2ErrorCode) {
        guard !terminated else { return }
        terminated = true
        _ = nghttp2_session_terminate_session(session, errorCode.rawValue)
    }

    // MARK: - Internals

    /// Runs what callbacks asked for but did not do inside nghttp2.
    func applyDeferredActions() {
        if pendingConnectionCredit > 0 {
            _ = nghttp2_session_consume_connection(session, pendingConnectionCredit)
            pendingConnectionCredit = 0
        }
    }

    /// Records a fatal error and queues GOAWAY so the peer learns why before we close.
    private func fail(_ error: H2Error) {
        fatalFailure = error
        let code: H2ErrorCode = switch error {
        case .flooded, .tooManyContinuations: .enhanceYourCalm
        case .badClientMagic: .protocolError
        default: .internalError
        }
        terminate(errorCode: code)
    }

    static func check(_ rv: Int32, _ function: String) throws(H2Error) {
        if rv != 0 { throw fatal(rv, function) }
    }

    static func fatal(_ rv: Int32, _ function: String) -> H2Error {
        switch rv {
        case NGHTTP2_ERR_FLOODED.rawValue: .flooded
        case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue: .tooManyContinuations
        case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue: .badClientMagic
        default: .nghttp2(function: function, code: rv, message: String(cString: nghttp2_strerror(rv)))
        }
    }
}

/// H2Session is confined to one thread (see its documentation).
@available(*, unavailable)
extension H2Session: Sendable {}
