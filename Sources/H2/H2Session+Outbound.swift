// H2Session+Outbound: submitting requests, responses, bodies and trailers.
// Each stream with a body gets a byte queue and an nghttp2_data_provider that
// sizes DATA frames from it (their bytes go out uncopied, NO_COPY), defers (NGHTTP2_ERR_DEFERRED) when it is empty and is resumed
// (nghttp2_session_resume_data) when more is queued (TRANSPORT.md "Back-pressure").

import CNGHTTP2

/// Chunks of outbound bytes for one stream, read from the front without reallocating. The
/// front chunk lives outside the array while it is the only one (a unary response), so a
/// short stream allocates no chunk array.
struct ByteQueue {
    private var head: [UInt8]?
    private var chunks: [[UInt8]] = []
    private var first = 0
    private var offset = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if head == nil && first == chunks.count { head = bytes } else { chunks.append(bytes) }
        count += bytes.count
    }

    /// Copies up to `max` bytes to `destination` and drops them; returns how many.
    mutating func read(into destination: UnsafeMutablePointer<UInt8>, max: Int) -> Int {
        var written = 0
        return read(max: max) { bytes in
            (destination + written).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            written += bytes.count
        }
    }

    /// Hands up to `max` bytes to `sink` as contiguous slices of the queued chunks (no copy)
    /// and drops them; returns how many.
    mutating func read(max: Int, _ sink: (UnsafeRawBufferPointer) -> Void) -> Int {
        var written = 0
        while written < max {
            let fromHead = head != nil
            guard fromHead || first < chunks.count else { break }
            let chunk = head ?? chunks[first]
            let n = min(max - written, chunk.count - offset)
            chunk.withUnsafeBytes { src in sink(UnsafeRawBufferPointer(rebasing: src[offset ..< offset + n])) }
            written += n
            offset += n
            if offset == chunk.count {
                if fromHead { head = nil } else { first += 1 }
                offset = 0
            }
        }
        count -= written
        if first == chunks.count { chunks.removeAll(keepingCapacity: true); first = 0 }
        else if first > 64 && first * 2 > chunks.count { chunks.removeFirst(first); first = 0 }
        return written
    }

    mutating func removeAll() { head = nil; chunks = []; first = 0; offset = 0; count = 0 }
}

/// Outbound state of one stream that has a body.
struct OutboundStream {
    var queue = ByteQueue()
    /// END_STREAM (or trailers) queued: no more submitData.
    var ended = false
    var trailers: HeaderBlock?
    /// The data provider returned NGHTTP2_ERR_DEFERRED and waits for resume_data.
    var deferred = false
    /// Body bytes handed to the output so far (progress, for stall detection).
    var sent = 0
}

extension H2Session {
    /// Client: opens a stream with a request header block. With `endStream: false` the body
    /// follows through ``submitData(stream:bytes:endStream:)`` / ``submitTrailers(stream:headers:)``.
    /// - Returns: the new stream ID (frames go out on the next ``drainOutput()``; nghttp2 holds
    ///   the stream back while the peer's MAX_CONCURRENT_STREAMS is reached).
    public func submitRequest(headers: [H2Header], endStream: Bool) throws(H2Error) -> Int32 {
        guard role == .client else { throw .nghttp2(function: "submitRequest", code: 0, message: "servers cannot submit requests") }
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: H2Callbacks.readData)
        let id = withNV(headers) { nv, count in
            endStream ? nghttp2_submit_request(session, nil, nv, count, nil, nil)
                      : nghttp2_submit_request(session, nil, nv, count, &provider, nil)
        }
        if id < 0 { throw Self.fatal(id, "nghttp2_submit_request") }
        if !endStream { outbound[id] = OutboundStream() }
        return id
    }

    /// Server: sends the response header block on `stream`. With `endStream: false` the body
    /// follows through ``submitData(stream:bytes:endStream:)`` / ``submitTrailers(stream:headers:)``.
    public func submitResponse(stream: Int32, headers: [H2Header], endStream: Bool = false) throws(H2Error) {
        try submitResponse(stream: stream, .list(headers), endStream: endStream)
    }

    /// ``submitResponse(stream:headers:endStream:)`` for a prepared (uncopied) header list.
    public func submitResponse(stream: Int32, prepared: PreparedHeaders, endStream: Bool = false) throws(H2Error) {
        try submitResponse(stream: stream, .prepared(prepared), endStream: endStream)
    }

    private func submitResponse(stream: Int32, _ block: HeaderBlock, endStream: Bool) throws(H2Error) {
        guard role == .server else { throw .nghttp2(function: "submitResponse", code: 0, message: "clients cannot submit responses") }
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: H2Callbacks.readData)
        let rv = withNV(block) { nv, count in
            endStream ? nghttp2_submit_response(session, stream, nv, count, nil)
                      : nghttp2_submit_response(session, stream, nv, count, &provider)
        }
        if rv == NGHTTP2_ERR_INVALID_ARGUMENT.rawValue || rv == NGHTTP2_ERR_STREAM_CLOSED.rawValue { throw .unknownStream(stream) }
        try Self.check(rv, "nghttp2_submit_response")
        if !endStream { outbound[stream] = OutboundStream() }
    }

    /// Queues body bytes on a stream opened with a body; they go out as flow control allows.
    /// Check ``isAboveHighWatermark(stream:)`` afterwards and suspend the writer if it is true.
    public func submitData(stream: Int32, bytes: [UInt8], endStream: Bool = false) throws(H2Error) {
        // In place through `withValue` (a closure, not the subscript's coroutine, which would
        // allocate its frame): no copy of the queue per call.
        let queued: Int? = try outbound.withValue(stream) { (state: inout OutboundStream) throws(H2Error) -> Int in
            guard !state.ended else { throw .streamNotWritable(stream) }
            state.queue.append(bytes)
            state.ended = endStream
            return state.queue.count
        }
        guard let queued else { throw .unknownStream(stream) }
        totalQueuedBytes += bytes.count
        if queued > configuration.outboundHighWatermark { overHighWatermark.insert(stream) }
        resumeIfDeferred(stream)
    }

    /// Ends a stream with a trailing header block after the queued body.
    public func submitTrailers(stream: Int32, headers: [H2Header]) throws(H2Error) {
        try submitTrailers(stream: stream, .list(headers))
    }

    /// ``submitTrailers(stream:headers:)`` for a prepared (uncopied) header list.
    public func submitTrailers(stream: Int32, prepared: PreparedHeaders) throws(H2Error) {
        try submitTrailers(stream: stream, .prepared(prepared))
    }

    private func submitTrailers(stream: Int32, _ block: HeaderBlock) throws(H2Error) {
        let known: Void? = try outbound.withValue(stream) { (state: inout OutboundStream) throws(H2Error) in
            guard !state.ended else { throw .streamNotWritable(stream) }
            state.ended = true
            state.trailers = block
        }
        guard known != nil else { throw .unknownStream(stream) }
        resumeIfDeferred(stream)
    }

    /// Sends RST_STREAM(`errorCode`) and drops anything still queued for the stream.
    public func resetStream(_ stream: Int32, errorCode: H2ErrorCode) throws(H2Error) {
        totalQueuedBytes -= queuedBytes(stream: stream)
        outbound[stream]?.queue.removeAll()
        outbound[stream]?.ended = true
        try Self.check(nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, errorCode.rawValue),
                       "nghttp2_submit_rst_stream")
    }

    /// Body bytes queued on `stream` and not yet handed to nghttp2.
    public func queuedBytes(stream: Int32) -> Int { outbound[stream]?.queue.count ?? 0 }

    /// True when the stream's queue is above ``H2Configuration/outboundHighWatermark``.
    public func isAboveHighWatermark(stream: Int32) -> Bool {
        queuedBytes(stream: stream) > configuration.outboundHighWatermark
    }

    /// Body bytes of `stream` sent so far (grows whenever its queue makes progress).
    public func sentBytes(stream: Int32) -> Int { outbound[stream]?.sent ?? 0 }

    /// True when `stream` has body bytes queued that the peer's flow-control windows (the
    /// stream's or the connection's) do not let out: a stalled reader, not a slow socket.
    public func isFlowControlBlocked(stream: Int32) -> Bool {
        queuedBytes(stream: stream) > 0 && sendWindow(stream: stream) == 0
    }

    /// Queued body bytes the peer's connection window lets out now (an upper bound: stream
    /// windows may admit less). Sizes output buffers.
    public var sendableQueuedBytes: Int {
        min(totalQueuedBytes, Int(max(0, nghttp2_session_get_remote_window_size(session))))
    }

    /// How many more body bytes the peer's flow-control windows accept on `stream` right now.
    public func sendWindow(stream: Int32) -> Int {
        Int(max(0, min(nghttp2_session_get_stream_remote_window_size(session, stream),
                       nghttp2_session_get_remote_window_size(session))))
    }

    private func resumeIfDeferred(_ stream: Int32) {
        guard outbound[stream]?.deferred == true else { return }
        outbound[stream]?.deferred = false
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// After draining: report streams that fell from above the high watermark to below the low one.
    func reportWritableStreams() {
        guard !overHighWatermark.isEmpty else { return }
        for stream in overHighWatermark.sorted() where queuedBytes(stream: stream) < configuration.outboundLowWatermark {
            overHighWatermark.remove(stream)
            if outbound[stream] != nil { events.append(.writable(stream: stream)) }
        }
    }

    /// The data provider's body: size the next DATA frame from the queue and signal EOF /
    /// trailers, or defer when the queue is empty. The payload is not copied here: the frame is
    /// marked NGHTTP2_DATA_FLAG_NO_COPY and ``sendData(stream:header:length:padding:)`` hands
    /// the queued bytes straight to the drain's sink when nghttp2 sends the frame.
    func readData(stream: Int32, length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard outbound[stream] != nil else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        // Read in place; trailers are submitted after the state is written back.
        var trailers: HeaderBlock?
        let n: Int = Self.withOutbound(&outbound, stream) { state in
            let n = min(length, state.queue.count)
            if n == 0 && !state.ended {
                state.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            if n > 0 { flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue }
            if n == state.queue.count && state.ended {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if let t = state.trailers {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    state.trailers = nil
                    trailers = t
                }
            }
            return n
        }
        // nghttp2 documents submit_trailer as safe inside this callback.
        if let trailers { _ = withNV(trailers) { nv, count in nghttp2_submit_trailer(session, stream, nv, count) } }
        return n
    }

    /// nghttp2's send_data callback for a NO_COPY frame sized by ``readData(stream:length:flags:)``
    /// during the same `mem_send` call: the 9-byte header, the pad length byte when padded, then
    /// `length` queued bytes and the padding, all to the drain's sink in order (RFC 9113 §6.1).
    func sendData(stream: Int32, header: UnsafePointer<UInt8>, length: Int, padding: Int) -> Int32 {
        guard let sink = outputSink, let queued = outbound[stream]?.queue.count, queued >= length else {
            // Nothing written yet, so the stream alone fails (nghttp2 resets it).
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        sink(UnsafeRawBufferPointer(start: header, count: 9))
        if padding > 0 { withUnsafeBytes(of: UInt8(padding - 1)) { sink($0) } }
        totalQueuedBytes -= Self.withOutbound(&outbound, stream) { state in
            let n = state.queue.read(max: length, sink)
            state.sent += n
            return n
        }
        if padding > 1 { [UInt8](repeating: 0, count: padding - 1).withUnsafeBytes { sink($0) } }
        return 0
    }

    @inline(__always)
    static func withOutbound<R>(_ table: inout StreamTable<OutboundStream>, _ stream: Int32, _ body: (inout OutboundStream) -> R) -> R {
        if table[stream] == nil { table[stream] = OutboundStream() }
        return table.withValue(stream, body)!
    }

    /// `withNV` for a block: a prepared one is passed as it is.
    func withNV<R>(_ block: HeaderBlock, _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        switch block {
        case .list(let headers): return withNV(headers, body)
        case .prepared(let p): return body(UnsafePointer(p.nv), p.count)
        }
    }

    /// Calls `body` with the headers as nghttp2 name/value pairs. The bytes and the pair array
    /// live in temporary (usually stack) allocations: no heap traffic per response.
    func withNV<R>(_ headers: [H2Header], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var total = 1
        for h in headers { total += h.name.utf8.count + h.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { storage in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { nvs in
                var at = 0
                for (i, h) in headers.enumerated() {
                    let n = Self.copyUTF8(h.name, to: storage, at: at)
                    let v = Self.copyUTF8(h.value, to: storage, at: at + n)
                    nvs[i] = nghttp2_nv(name: storage.baseAddress! + at, value: storage.baseAddress! + at + n,
                                        namelen: n, valuelen: v, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
                    at += n + v
                }
                return body(UnsafePointer(nvs.baseAddress!), headers.count)
            }
        }
    }

    @inline(__always)
    private static func copyUTF8(_ s: String, to storage: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        var s = s
        return s.withUTF8 { u in
            if let b = u.baseAddress { (storage.baseAddress! + at).update(from: b, count: u.count) }
            return u.count
        }
    }
}
