// H2Session+Callbacks: the capture-free C callbacks nghttp2 calls during
// mem_recv/mem_send. They reach the H2Session through user_data (Unmanaged,
// unretained: the session never outlives its owner), only record state and queue
// events, and never call nghttp2_session_mem_* (TRANSPORT.md "Library facts").

import CNGHTTP2

/// The static callback table installed on every session.
enum H2Callbacks {
    static func owner(_ userData: UnsafeMutableRawPointer?) -> H2Session {
        Unmanaged<H2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkRecv)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, onInvalidFrameRecv)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSend)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, sendData)
        nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks, readLength)
    }

    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame else { return 0 }
        owner(userData).beginHeaders(stream: frame.pointee.hd.stream_id, category: frame.pointee.headers.cat)
        return 0
    }

    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value else { return 0 }
        owner(userData).header(stream: frame.pointee.hd.stream_id,
                               name: UnsafeBufferPointer(start: name, count: nameLength),
                               value: UnsafeBufferPointer(start: value, count: valueLength))
        return 0
    }

    static let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        owner(userData).frameReceived(frame)
        return 0
    }

    static let onDataChunkRecv: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, userData in
        guard let data else { return 0 }
        owner(userData).dataChunk(stream: stream, UnsafeBufferPointer(start: data, count: length))
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, stream, errorCode, userData in
        owner(userData).streamClosed(stream: stream, errorCode: errorCode)
        return 0
    }

    static let onInvalidFrameRecv: nghttp2_on_invalid_frame_recv_callback = { _, _, _, userData in
        let session = owner(userData)
        session.counters.invalidFrames += 1
        session.chargeGlitch()
        return 0
    }

    static let onFrameSend: nghttp2_on_frame_send_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let session = owner(userData)
        switch UInt32(frame.pointee.hd.type) {
        case NGHTTP2_RST_STREAM.rawValue:
            session.counters.resetsSent += 1
            session.chargeGlitch()
        case NGHTTP2_GOAWAY.rawValue:
            session.counters.goAwaysSent += 1
            // An error GOAWAY (ours, or nghttp2's own e.g. for Rapid Reset) ends reading.
            if frame.pointee.goaway.error_code != NGHTTP2_NO_ERROR.rawValue { session.stoppedReading = true }
        default: break
        }
        return 0
    }

    static let readData: nghttp2_data_source_read_callback = { _, stream, _, length, flags, _, userData in
        guard let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        return owner(userData).readData(stream: stream, length: length, flags: flags)
    }

    /// DATA frames as large as the peer's SETTINGS_MAX_FRAME_SIZE and both windows allow
    /// (nghttp2 alone stops at 16 KiB): fewer frames, callbacks and events per byte.
    static let readLength: nghttp2_data_source_read_length_callback = { _, _, _, connectionWindow, streamWindow, maxFrame, _ in
        max(0, min(Int(maxFrame), Int(connectionWindow), Int(streamWindow)))
    }

    static let sendData: nghttp2_send_data_callback = { _, frame, header, length, _, userData in
        guard let frame, let header else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
        return owner(userData).sendData(stream: frame.pointee.hd.stream_id, header: header, length: length,
                                        padding: frame.pointee.data.padlen)
    }
}

extension H2Session {
    func beginHeaders(stream: Int32, category: nghttp2_headers_category) {
        if category == NGHTTP2_HCAT_REQUEST { counters.streamsOpened += 1 }
        let state = inboundState(stream)
        state.headers.removeAll(keepingCapacity: true)
        // One allocation for a typical request's fields instead of growing 1 → 2 → 4 → 8.
        if state.headers.capacity < 8 { state.headers.reserveCapacity(8) }
        state.headerBytes = 0
    }

    /// Accumulates one field and enforces our header list limits (nghttp2 does not).
    func header(stream: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let limits = (bytes: Int(configuration.maxHeaderListSize), fields: configuration.maxHeaderFields)
        let state = inboundState(stream)
        let violation: H2HeaderViolation? = {
            guard !state.rejected else { return nil }
            // RFC 9113 §6.5.2: each field costs name + value + 32 octets.
            state.headerBytes += name.count + value.count + 32
            var violation: H2HeaderViolation?
            if state.headerBytes > limits.bytes {
                violation = .listTooLarge(limit: configuration.maxHeaderListSize)
            } else if state.headers.count + 1 > limits.fields {
                violation = .tooManyFields(limit: limits.fields)
            }
            if violation != nil {
                state.rejected = true
                state.headers = []
                return violation
            }
            state.headers.append(H2Header(headerStrings.string(name), headerStrings.string(value)))
            return nil
        }()
        guard let violation else { return }
        counters.headerLimitViolations += 1
        events.append(.headersRejected(stream: stream, violation: violation))
        // Submitting (not sending) is allowed inside callbacks; the RST goes out on the next drain.
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream,
                                      H2ErrorCode.enhanceYourCalm.rawValue)
    }

    func dataChunk(stream: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let state = existingInbound(stream) else {
            pendingConnectionCredit += bytes.count   // nobody will consume it
            return
        }
        state.frameData.append(contentsOf: bytes)
        state.unconsumed += bytes.count
    }

    func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let hd = frame.pointee.hd
        let stream = hd.stream_id
        let endStream = hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        let ack = hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0
        switch UInt32(hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard let state = existingInbound(stream), !state.rejected else { return }
            let trailers = frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS && state.sawHeaders && endStream
            state.sawHeaders = true
            let headers = state.headers
            state.headers = []
            events.append(trailers ? .trailers(stream: stream, headers: headers)
                                   : .headers(stream: stream, headers: headers, endStream: endStream))
        case NGHTTP2_DATA.rawValue:
            guard let state = existingInbound(stream) else { return }
            let bytes = state.frameData
            state.frameData = []
            if bytes.isEmpty && !endStream {
                chargeGlitch()  // an empty DATA frame does nothing but cost us work
            } else {
                events.append(.data(stream: stream, bytes: bytes, endStream: endStream))
            }
        case NGHTTP2_RST_STREAM.rawValue:
            counters.resetsReceived += 1
        case NGHTTP2_GOAWAY.rawValue:
            let g = frame.pointee.goaway
            let debug = g.opaque_data.map { Array(UnsafeBufferPointer(start: $0, count: g.opaque_data_len)) } ?? []
            events.append(.goAway(lastStreamID: g.last_stream_id, errorCode: H2ErrorCode(rawValue: g.error_code),
                                  debugData: debug))
        case NGHTTP2_SETTINGS.rawValue where ack:
            events.append(.settingsAcked)
        case NGHTTP2_PING.rawValue where ack:
            var payload: UInt64 = 0
            withUnsafeBytes(of: frame.pointee.ping.opaque_data) { raw in
                for b in raw { payload = payload << 8 | UInt64(b) }
            }
            events.append(.pingAcked(payload: payload))
        default:
            break
        }
    }

    func streamClosed(stream: Int32, errorCode: UInt32) {
        if let state = inbound.removeValue(forKey: stream) {
            // The peer can send nothing more here: hand back the connection window its
            // unconsumed bytes still hold (applied after nghttp2 returns).
            pendingConnectionCredit += state.unconsumed
            if spareInbound.count < 64 {
                state.headers = []; state.headerBytes = 0; state.rejected = false; state.sawHeaders = false
                state.frameData = []; state.unconsumed = 0
                spareInbound.append(state)
            }
        }
        if let gone = outbound.removeValue(forKey: stream) { totalQueuedBytes -= gone.queue.count }
        overHighWatermark.remove(stream)
        events.append(.streamClosed(stream: stream, errorCode: H2ErrorCode(rawValue: errorCode)))
    }

    /// Takes a glitch token; an empty bucket terminates the session with GOAWAY(ENHANCE_YOUR_CALM).
    /// `nghttp2_session_terminate_session` only queues the GOAWAY (no I/O), so calling it here is
    /// safe, and it makes nghttp2 ignore the rest of the input at once.
    func chargeGlitch() {
        counters.glitches += 1
        if !glitchBucket.take(now: now()) { terminate(errorCode: .enhanceYourCalm) }
    }
}
