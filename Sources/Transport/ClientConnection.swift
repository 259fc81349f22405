// ClientConnection: the client's H2 channel handler. Opens one stream per call, frames
// request messages, deframes responses with the call's limit (crediting the window as
// the application takes messages), and turns trailers, trailers-only responses, HTTP
// errors, resets and lost connections into the call's final RPCStatus.

import H2
import NIOConcurrencyHelpers
import NIOCore
import Wire

final class ClientStream {
    let id: Int32
    let inbox: MessageInbox
    let status: StatusBox
    var deframer: Deframer
    var delivered = 0
    var taken = 0
    var unconsumed = 0
    var localEnded = false
    var waitingWriters: [EventLoopPromise<Void>] = []

    init(id: Int32, inbox: MessageInbox, status: StatusBox, maxResponseBytes: Int) {
        self.id = id
        self.inbox = inbox
        self.status = status
        self.deframer = Deframer(maxMessageBytes: maxResponseBytes)
    }
}

/// Marks statuses of calls the server never processed (safe to retry, PROTOCOL.md §2).
let notProcessed = "not processed, retry"

final class ClientConnection: H2ChannelHandler, @unchecked Sendable {
    let scheme: String
    let authority: String
    let contentType: String
    let ready: EventLoopPromise<Void>
    let usesTLS: Bool
    var streams = StreamTable<ClientStream>()
    /// Plain GETs in flight (ClientConnection+GET.swift).
    var plainGETs: [Int32: PlainGETStream] = [:]
    /// GOAWAY received or connection closed: new calls need a new connection.
    private(set) var goingAway = false { didSet { usableFlag.withLockedValue { $0 = !goingAway } } }
    /// `isUsable` readable from any thread.
    let usableFlag = NIOLockedValueBox(true)
    private var lastError: String?

    init(session: H2Session, eventLoop: EventLoop, tls: Bool, authority: String, contentType: String) {
        self.scheme = tls ? "https" : "http"
        self.usesTLS = tls
        self.authority = authority
        self.contentType = contentType
        self.ready = eventLoop.makePromise()
        super.init(session: session, eventLoop: eventLoop)
    }

    var isUsable: Bool { !goingAway && !isClosed }

    // MARK: keepalive

    /// (interval, timeout) in seconds; nil: no keepalive PINGs.
    var keepalive: (interval: Double, timeout: Double)?
    private var lastRead = monotonicNow()
    private var pingSentAt: Double?
    private var keepaliveTimer: RepeatedTask?
    /// PINGs sent by the keepalive (readable from any thread).
    let keepalivePings = NIOLockedValueBox(0)

    override func channelActive(context: ChannelHandlerContext) {
        super.channelActive(context: context)
        if !usesTLS { ready.succeed() }
        if let keepalive {
            let step = TimeAmount.nanoseconds(Int64(max(0.05, min(keepalive.interval, keepalive.timeout) / 2) * 1e9))
            keepaliveTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: step, delay: step) { [self] _ in keepaliveTick() }
        }
    }

    override func countBytes(read: Int, written: Int) {
        if read > 0 { lastRead = monotonicNow() }
    }

    /// Sends a PING when calls are open and the peer was silent for `interval`; closes the
    /// connection when that PING is not acknowledged within `timeout`.
    private func keepaliveTick() {
        guard let keepalive, !isClosed else { return }
        let now = monotonicNow()
        if let sent = pingSentAt {
            guard now - sent > keepalive.timeout else { return }
            lastError = "keepalive: no PING acknowledgement within \(keepalive.timeout) s"
            goingAway = true
            close()
        } else if !streams.isEmpty && now - lastRead > keepalive.interval {
            let n = keepalivePings.withLockedValue { $0 += 1; return $0 }
            do { try session.ping(payload: UInt64(n)) } catch { return }
            pingSentAt = now
            scheduleFlush()
        }
    }

    override func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted { ready.succeed() }
        super.userInboundEventTriggered(context: context, event: event)
    }

    override func handlerRemoved(context: ChannelHandlerContext) {
        // A connect that failed before the channel became active never reaches channelInactive.
        ready.fail(TransportError.connectFailed(lastError ?? "connection closed"))
        super.handlerRemoved(context: context)
    }

    override func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lastError = "\(error)"
        super.errorCaught(context: context, error: error)
    }

    override func connectionClosed() {
        keepaliveTimer?.cancel()
        goingAway = true
        usableFlag.withLockedValue { $0 = false }
        ready.fail(TransportError.connectFailed(lastError ?? "connection closed"))
        for s in streams.values { end(s, RPCStatus(.unavailable, "connection closed" + (lastError.map { ": \($0)" } ?? ""))) }
        streams.removeAll()
        failPlainGETs(RPCStatus(.unavailable, "connection closed" + (lastError.map { ": \($0)" } ?? "")))
    }

    // MARK: calls

    func start(path: String, metadata: Metadata, maxResponseBytes: Int) throws -> ClientStream {
        guard isUsable else { throw TransportError.connectionClosed }
        var headers = [H2Header(":method", "POST"), H2Header(":scheme", scheme), H2Header(":path", path),
                       H2Header(":authority", authority), H2Header("content-type", contentType), H2Header("te", "trailers")]
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(H2Header(k.lowercased(), v)) }
        let id = try session.submitRequest(headers: headers, endStream: false)
        let inbox = MessageInbox(onTake: { [self] size in eventLoop.execute { self.taken(stream: id, size: size) } })
        let stream = ClientStream(id: id, inbox: inbox, status: StatusBox(), maxResponseBytes: maxResponseBytes)
        streams[id] = stream
        scheduleFlush()
        return stream
    }

    func sendRaw(stream id: Int32, bytes: [UInt8], endStream: Bool) -> EventLoopFuture<Void> {
        guard let s = streams[id], !s.localEnded else { return eventLoop.makeFailedFuture(TransportError.connectionClosed) }
        s.localEnded = endStream
        do { try session.submitData(stream: id, bytes: bytes, endStream: endStream) } catch {
            return eventLoop.makeFailedFuture(error)
        }
        scheduleFlush()
        return eventLoop.makeSucceededVoidFuture()
    }

    func send(stream id: Int32, payload: [UInt8]?) -> EventLoopFuture<Void> {
        guard let s = streams[id], !s.localEnded else {
            let status = streams[id]?.status.current ?? RPCStatus(.cancelled, "the call's request side already ended")
            return eventLoop.makeFailedFuture(status)
        }
        do throws(H2Error) {
            if let payload {
                try session.submitData(stream: id, bytes: Framer.prefix(length: payload.count))
                try session.submitData(stream: id, bytes: payload)
            } else {
                s.localEnded = true
                try session.submitData(stream: id, bytes: [], endStream: true)
            }
        } catch {
            return eventLoop.makeFailedFuture(s.status.current ?? RPCStatus(.cancelled, "the stream is closed: \(error)"))
        }
        scheduleFlush()
        guard payload != nil, session.isAboveHighWatermark(stream: id) else { return eventLoop.makeSucceededVoidFuture() }
        let p = eventLoop.makePromise(of: Void.self)
        s.waitingWriters.append(p)
        return p.futureResult
    }

    func cancel(stream id: Int32) {
        guard let s = streams[id] else { return }
        try? session.resetStream(id, errorCode: .cancel)
        end(s, RPCStatus(.cancelled, "cancelled by the client"))
        scheduleFlush()
    }

    private func taken(stream id: Int32, size: Int) {
        guard let s = streams[id] else { return }
        s.taken += 1
        let credit = min(size + Framer.prefixSize, s.unconsumed)
        if credit > 0 { session.consume(stream: id, bytes: credit); s.unconsumed -= credit; scheduleFlush() }
        creditIfIdle(s)
    }

    private func creditIfIdle(_ s: ClientStream) {
        if s.delivered == s.taken && s.unconsumed > 0 {
            session.consume(stream: s.id, bytes: s.unconsumed)
            s.unconsumed = 0
            scheduleFlush()
        }
    }

    /// Sets the final status, ends the response messages, wakes writers.
    private func end(_ s: ClientStream, _ status: RPCStatus) {
        s.status.set(status)
        let final = s.status.current ?? status
        s.inbox.finish(final.code == .ok ? .success(()) : .failure(final), discard: false)
        s.localEnded = true
        let writers = s.waitingWriters
        s.waitingWriters = []
        for w in writers { w.fail(final) }
    }

    // MARK: events

    override func handle(events: [H2Event]) {
        for event in events where !handlePlainGET(event) {
            switch event {
            case .headers(let id, let headers, let endStream):
                guard let s = streams[id] else { continue }
                responseHeaders(s, headers, endStream: endStream)
            case .data(let id, let bytes, let endStream):
                guard let s = streams[id] else { continue }
                data(s, bytes, endStream: endStream)
            case .trailers(let id, let headers):
                guard let s = streams[id] else { continue }
                trailers(s, headers)
            case .streamClosed(let id, let code):
                guard let s = streams.removeValue(forKey: id) else { continue }
                let status: RPCStatus = switch code {
                case .noError: RPCStatus(.internal, "stream ended without status")
                case .cancel: RPCStatus(.cancelled, "the server cancelled the stream")
                case .refusedStream: RPCStatus(.unavailable, "the server refused the stream: \(notProcessed)")
                default: RPCStatus(.unavailable, "stream reset by the server: \(code)")
                }
                end(s, status)
            case .goAway(let last, let code, _):
                goingAway = true
                for (id, s) in streams.entries where id > last {
                    end(s, RPCStatus(.unavailable, "connection going away (\(code)): \(notProcessed)"))
                }
            case .writable(let id):
                guard let s = streams[id] else { continue }
                let writers = s.waitingWriters
                s.waitingWriters = []
                for w in writers { w.succeed() }
            case .pingAcked:
                pingSentAt = nil
            case .headersRejected, .settingsAcked:
                break
            }
        }
        scheduleFlush()
    }

    private func responseHeaders(_ s: ClientStream, _ headers: [H2Header], endStream: Bool) {
        let fields = headers.map { (name: $0.name, value: $0.value) }
        let httpStatus = headers.first { $0.name == ":status" }?.value ?? ""
        guard httpStatus == "200" else {
            let code: WireStatus = switch httpStatus {
            case "401": .unauthenticated
            case "403": .permissionDenied
            case "404", "405": .unimplemented
            case "503": .unavailable
            default: .internal
            }
            return finishRemote(s, RPCStatus(code, "HTTP status \(httpStatus)"))
        }
        if endStream {
            // Trailers-only response.
            let status = (try? StatusTrailers.status(from: fields)) ?? RPCStatus(.internal, "response carried no valid tributary-status")
            return finishRemote(s, status)
        }
        let type = headers.first { $0.name == "content-type" }?.value
        if type != contentType {
            finishRemote(s, RPCStatus(.internal, "response content-type \(type ?? "missing") is not \(contentType)"))
        }
    }

    private func data(_ s: ClientStream, _ bytes: [UInt8], endStream: Bool) {
        guard s.status.current == nil else { session.consume(stream: s.id, bytes: bytes.count); return }
        s.unconsumed += bytes.count
        do {
            for m in try s.deframer.feed(bytes) {
                if m.isStatusEnvelope { continue } // trailers win (PROTOCOL.md §4); envelopes unused here
                s.delivered += 1
                s.inbox.push(m.payload)
            }
        } catch {
            let code: WireStatus = if case .oversize = error { .resourceExhausted } else { .internal }
            return finishRemote(s, RPCStatus(code, "response framing: \(error)"))
        }
        creditIfIdle(s)
        if endStream { finishRemote(s, RPCStatus(.internal, "stream ended without status")) }
    }

    private func trailers(_ s: ClientStream, _ headers: [H2Header]) {
        if (try? s.deframer.finish()) == nil {
            return finishRemote(s, RPCStatus(.internal, "response ended inside a message"))
        }
        let fields = headers.map { (name: $0.name, value: $0.value) }
        finishRemote(s, (try? StatusTrailers.status(from: fields)) ?? RPCStatus(.internal, "trailers carried no valid tributary-status"))
    }

    /// The server's side ended with `status`; stop our side too if still open.
    private func finishRemote(_ s: ClientStream, _ status: RPCStatus) {
        let wasOpen = !s.localEnded
        end(s, status)
        if wasOpen { try? session.resetStream(s.id, errorCode: .noError) }
        if s.unconsumed > 0 { session.consume(stream: s.id, bytes: s.unconsumed); s.unconsumed = 0 }
    }
}

/// The call sink for a stream of a ``ClientConnection``.
struct ClientStreamSink: CallSink {
    let connection: ClientConnection
    let stream: Int32

    func send(_ payload: [UInt8]) async throws {
        let c = connection, id = stream
        try await c.eventLoop.flatSubmit { c.send(stream: id, payload: payload) }.get()
    }

    func finish() async throws {
        let c = connection, id = stream
        try await c.eventLoop.flatSubmit { c.send(stream: id, payload: nil) }.get()
    }

    func cancel() {
        let c = connection, id = stream
        c.eventLoop.execute { c.cancel(stream: id) }
    }

    func sendRaw(_ bytes: [UInt8], endStream: Bool) async throws {
        let c = connection, id = stream
        try await c.eventLoop.flatSubmit { c.sendRaw(stream: id, bytes: bytes, endStream: endStream) }.get()
    }
}
