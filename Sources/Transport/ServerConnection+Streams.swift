// ServerConnection+Streams: request data (deframing with the route's limit before
// buffering, one-message checks), window credit that follows the application's takes,
// response messages with writer suspension above the stream's high watermark, final
// status as trailers or a trailers-only response, and plain HTTP responses.

import H2
import NIOCore
import Wire

extension ServerConnection {
    func received(stream id: Int32, bytes: [UInt8], endStream: Bool) {
        guard let s = streams[id] else { return } // unknown: H2Session returns the credit at close
        if s.discarding || s.finished {
            session.consume(stream: id, bytes: bytes.count)
            return
        }
        s.unconsumed += bytes.count
        if !bytes.isEmpty {
            // A scratch array kept by the connection: no array allocated per DATA frame.
            var messages = framesScratch
            framesScratch = []
            messages.removeAll(keepingCapacity: true)
            defer { messages.removeAll(keepingCapacity: true); framesScratch = messages }
            // Messages completed before a framing error in the same bytes are delivered first
            // (PROTOCOL.md §3: groups before the error are processed and acknowledged).
            var framingError: FramingError?
            do { try s.deframer.feed(bytes, into: &messages) } catch { framingError = error }
            for m in messages {
                if m.isStatusEnvelope {
                    return fail(s, RPCStatus(.invalidArgument, "a request stream carried a status envelope"), .badFraming)
                }
                if s.route?.options.requestMessages == .one {
                    s.singleCount += 1
                    if s.singleCount > 1 {
                        return fail(s, RPCStatus(.invalidArgument, "this RPC takes exactly one request message, got more"),
                                    .wrongMessageCount)
                    }
                    s.single = m.payload
                } else {
                    s.delivered += 1
                    s.inbox?.push(m.payload)
                }
            }
            if let framingError { return framingFailed(s, framingError) }
        }
        creditIfIdle(s)
        guard endStream else { return }
        s.requestEnded = true
        do { try s.deframer.finish() } catch { return framingFailed(s, error) }
        if s.route?.options.requestMessages == .one { startIfReady(s) } else { s.inbox?.finish(.success(())) }
    }

    /// When the application holds no untaken message, every received byte is credited at once
    /// (a partial message is buffered anyway, bounded by the route limit); otherwise credit
    /// waits for the application (see `messageTaken`).
    func creditIfIdle(_ s: ServerStream) {
        let outstanding = s.delivered - s.taken + (s.single == nil ? 0 : 1)
        if outstanding == 0 && s.unconsumed > 0 {
            session.consume(stream: s.id, bytes: s.unconsumed)
            s.unconsumed = 0
            scheduleFlush()
        }
    }

    func messageTaken(stream id: Int32, size: Int) {
        guard let s = streams[id] else { return }
        s.taken += 1
        let credit = min(size + Framer.prefixSize, s.unconsumed)
        if credit > 0 {
            session.consume(stream: id, bytes: credit)
            s.unconsumed -= credit
            scheduleFlush()
        }
        creditIfIdle(s)
    }

    private func framingFailed(_ s: ServerStream, _ error: FramingError) {
        let (status, reason): (RPCStatus, TransportRejection) = if case .oversize = error {
            (RPCStatus(.resourceExhausted, error.description), .messageTooLarge)
        } else {
            (RPCStatus(.invalidArgument, error.description), .badFraming)
        }
        if let inbox = s.inbox, s.route?.options.requestMessages == .many {
            // A streaming request: the handler still gets every message that arrived before
            // the error, then the error, and ends the RPC itself — so what it acknowledged
            // was processed, and what it did not was not (PROTOCOL.md §3). Nothing more is read.
            counters.reject(reason)
            inbox.finish(.failure(status), discard: false)
            s.discarding = true
            if s.unconsumed > 0 { session.consume(stream: s.id, bytes: s.unconsumed); s.unconsumed = 0; scheduleFlush() }
            return
        }
        fail(s, status, reason)
    }

    /// Ends an RPC because of its request: the handler's messages fail, the status goes out now.
    func fail(_ s: ServerStream, _ status: RPCStatus, _ reason: TransportRejection) {
        counters.reject(reason)
        pendingStarts[s.id] = nil
        abandon(s, status)
        finishStream(s, status)
        // A running handler counts its own end; count RPCs that never reached one here.
        if s.task == nil { counters.update { $0.countFinished(status.code) } }
        s.discarding = true
        if s.unconsumed > 0 { session.consume(stream: s.id, bytes: s.unconsumed); s.unconsumed = 0 }
    }

    /// Refuses an RPC before any message is read (trailers-only response).
    func reject(_ s: ServerStream, _ status: RPCStatus, _ reason: TransportRejection) {
        counters.reject(reason)
        counters.update { $0.countFinished(status.code) }
        s.discarding = true
        finishStream(s, status)
    }

    /// Wakes everything the application waits on with `status`, and cancels its task.
    func abandon(_ s: ServerStream, _ status: RPCStatus) {
        s.task?.cancel() // first, so a handler woken by the inbox already sees Task.isCancelled
        s.inbox?.finish(.failure(status))
        let writers = s.waitingWriters
        s.waitingWriters = []
        for w in writers { w.fail(status) }
    }

    func closed(stream id: Int32, code: H2ErrorCode, now: Double) {
        manager.streamClosed(id, now: now)
        pendingStarts[id] = nil
        guard let s = streams.removeValue(forKey: id) else { return }
        // A finished stream's handler has returned (or `fail` already abandoned it): nothing to wake.
        guard !s.finished else { return }
        abandon(s, RPCStatus(.cancelled, "the peer closed the stream (\(code))"))
    }

    func resumeWriters(_ id: Int32) {
        guard let s = streams[id] else { return }
        let writers = s.waitingWriters
        s.waitingWriters = []
        for w in writers { w.succeed() }
    }

    /// Trailers of an OK status (the common case), built once.
    static let okTrailers = StatusTrailers.fields(for: .ok).map { H2Header($0.name, $0.value) }

    /// Queues one framed response message; the future completes when the writer may continue.
    func sendMessage(stream id: Int32, payload: [UInt8]) -> EventLoopFuture<Void> {
        guard let s = streams[id], !s.finished else {
            return eventLoop.makeFailedFuture(RPCStatus(.cancelled, "the stream is closed"))
        }
        guard queueAdmits(stream: id, payload.count + Framer.prefixSize) else { return refuseOverQueueCap(s) }
        do throws(H2Error) {
            if !s.responseStarted {
                try session.submitResponse(stream: id, prepared: preparedHead, endStream: false)
                s.responseStarted = true
            }
            if payload.count <= 4096 {
                // Small messages: prefix and payload in one buffer (one allocation, one queue entry).
                try session.submitData(stream: id, bytes: Framer.framed(payload))
            } else {
                try session.submitData(stream: id, bytes: Framer.prefix(length: payload.count))
                try session.submitData(stream: id, bytes: payload)
            }
        } catch {
            return eventLoop.makeFailedFuture(RPCStatus(.cancelled, "the stream is closed: \(error)"))
        }
        manager.streamActivity(id, now: monotonicNow())
        scheduleFlush()
        guard session.isAboveHighWatermark(stream: id) else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        s.waitingWriters.append(promise)
        return promise.futureResult
    }

    /// Sends the final status: trailers after a response, or a trailers-only response.
    func finishStream(_ s: ServerStream, _ status: RPCStatus) {
        guard !s.finished else { return }
        s.finished = true
        if status.code == .ok && status.message.isEmpty {
            // The common case: prepared header blocks, sent without building or copying them.
            if s.responseStarted {
                try? session.submitTrailers(stream: s.id, prepared: preparedOKTrailers)
            } else {
                try? session.submitResponse(stream: s.id, prepared: preparedOKOnly, endStream: true)
            }
        } else {
            let fields = StatusTrailers.fields(for: status).map { H2Header($0.name, $0.value) }
            if s.responseStarted {
                try? session.submitTrailers(stream: s.id, headers: fields)
            } else {
                try? session.submitResponse(stream: s.id, headers: responseHead + fields, endStream: true)
            }
        }
        let writers = s.waitingWriters
        s.waitingWriters = []
        for w in writers { w.fail(RPCStatus(.cancelled, "the RPC already ended")) }
        scheduleFlush()
    }

    func respondHTTP(_ s: ServerStream, _ status: Int, _ text: String, _ reason: TransportRejection, extra: [H2Header] = []) {
        counters.reject(reason)
        var response = HTTPResponse(status: status, text: text)
        response.headers = extra.map { ($0.name, $0.value) }
        sendHTTP(stream: s.id, response, head: false)
    }

    func sendHTTP(stream id: Int32, _ response: HTTPResponse, head: Bool) {
        guard let s = streams[id], !s.finished else { return }
        s.finished = true
        var response = response
        if session.totalQueuedBytes + response.body.count > config.maxQueuedBytesPerConnection {
            counters.reject(.outboundQueueFull)
            response = HTTPResponse(status: 503, text: "too many response bytes queued for this connection\n")
        }
        var headers = [H2Header(":status", String(response.status)), H2Header("content-type", response.contentType),
                       H2Header("content-length", String(response.body.count))]
        headers += response.headers.map { H2Header($0.0.lowercased(), $0.1) }
        let bodyless = head || response.body.isEmpty
        try? session.submitResponse(stream: id, headers: headers, endStream: bodyless)
        if !bodyless { try? session.submitData(stream: id, bytes: response.body, endStream: true) }
        scheduleFlush()
    }
}

/// The responder's sink for a stream of a ``ServerConnection``: every call hops to its event loop.
struct StreamSink: ResponseSink {
    let connection: ServerConnection
    let stream: Int32

    func send(_ payload: [UInt8]) async throws {
        let c = connection, id = stream
        try await c.eventLoop.flatSubmit { c.sendMessage(stream: id, payload: payload) }.get()
    }

    func finish(_ status: RPCStatus, lastMessage: [UInt8]?) {
        let c = connection, id = stream
        // A handler running on the loop (runsOnEventLoop) finishes in place: this is a task's
        // job, not a channel callback, so there is no re-entrancy to avoid (and no closure to
        // allocate).
        if c.eventLoop.inEventLoop { return Self.finish(c, id, status, lastMessage) }
        c.eventLoop.execute { Self.finish(c, id, status, lastMessage) }
    }

    private static func finish(_ c: ServerConnection, _ id: Int32, _ status: RPCStatus, _ lastMessage: [UInt8]?) {
        guard let s = c.streams[id] else { return }
        if let lastMessage { _ = c.sendMessage(stream: id, payload: lastMessage) }
        c.finishStream(s, status)
    }
}
