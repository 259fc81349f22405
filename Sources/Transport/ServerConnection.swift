// ServerConnection: the server's H2 channel handler. Looks at each batch of H2Events as a
// whole (a stream opened and reset in one batch never starts work: Rapid Reset), routes
// requests (GET routes, 405/415/404, unimplemented, auth) and runs RPC handlers as tasks.
// Stream data, credit and responses are in ServerConnection+Streams.swift.

import H2
import NIOCore
import Wire

/// Server-side state of one HTTP/2 stream.
final class ServerStream {
    let id: Int32
    var route: RPCRoute?
    var deframer = Deframer(maxMessageBytes: 0)
    var inbox: MessageInbox?
    /// Messages pushed to the inbox / taken by the application (credit accounting).
    var delivered = 0
    var taken = 0
    /// DATA bytes received and not yet returned as window credit.
    var unconsumed = 0
    /// One-message routes: the message held until the request ends.
    var single: [UInt8]?
    var singleCount = 0
    var requestEnded = false
    /// Response HEADERS submitted / final status submitted.
    var responseStarted = false
    var finished = false
    /// Not an RPC in progress (rejected, plain HTTP): inbound data is credited at once and dropped.
    var discarding = false
    var waitingWriters: [EventLoopPromise<Void>] = []
    var task: Task<Void, Never>?
    /// Immediate unary routes: the call's head, until the request is complete.
    var call: (path: String, metadata: Metadata, authenticatedAs: AuthClass)?
    /// Response body bytes sent by the last tick (progress = activity).
    var lastSent = 0

    init(id: Int32) { self.id = id }
}

final class ServerConnection: H2ChannelHandler, @unchecked Sendable {
    let config: ServerConfiguration
    let router: Router
    let counters: CounterBox
    let peer: String
    var streams = StreamTable<ServerStream>()
    var manager: ConnectionManager
    private var scanner = FrameScanner(skipPreface: true)
    private var ticker: RepeatedTask?
    private var reportedResets = 0
    /// Queued response bytes last added to the counters' gauge (its share of the total).
    var reportedQueued = 0
    /// The connection queued ≥ ``trimThreshold`` bytes or refused a response over its cap at
    /// some point: its close trims the allocator (ServerConnection+Memory.swift).
    var underMemoryPressure = false
    /// A trim is scheduled and has not run yet.
    var trimPending = false
    let onClose: @Sendable () -> Void
    /// `:status 200` and the content type: the head of every RPC response.
    let responseHead: [H2Header]
    /// The same head and the OK trailers, prepared once for nghttp2 (sent without copying).
    let preparedHead: PreparedHeaders
    let preparedOKTrailers: PreparedHeaders
    let preparedOKOnly: PreparedHeaders

    init(session: H2Session, eventLoop: EventLoop, config: ServerConfiguration, router: Router,
         counters: CounterBox, peer: String, onClose: @escaping @Sendable () -> Void) {
        self.config = config
        self.router = router
        self.counters = counters
        self.peer = peer
        self.onClose = onClose
        self.responseHead = [H2Header(":status", "200"), H2Header("content-type", config.contentType)]
        preparedHead = PreparedHeaders.interned(responseHead)
        preparedOKTrailers = PreparedHeaders.interned(Self.okTrailers)
        preparedOKOnly = PreparedHeaders.interned(responseHead + Self.okTrailers)
        self.manager = ConnectionManager(timeouts: config.timeouts, now: monotonicNow())
        super.init(session: session, eventLoop: eventLoop)
        self.maxOutboundFrames = config.maxOutboundFrames
    }

    override func channelActive(context: ChannelHandlerContext) {
        let interval = TimeAmount.nanoseconds(Int64(config.tickInterval * 1e9))
        ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            tick()
        }
        super.channelActive(context: context)
    }

    override func connectionClosed() {
        ticker?.cancel()
        manager.closed()
        for stream in streams.values { abandon(stream, RPCStatus(.unavailable, "connection closed")) }
        streams.removeAll()
        pendingStarts.removeAll()
        let queued = reportedQueued
        if underMemoryPressure || queued >= Self.trimThreshold { scheduleTrim() }
        counters.update {
            $0.connectionsClosed += 1
            $0.resetsReceived += session.counters.resetsReceived - reportedResets
            $0.queuedOutboundBytes -= queued
        }
        reportedResets = session.counters.resetsReceived
        reportedQueued = 0
        onClose()
    }

    override func fatal(_ error: H2Error) {
        counters.reject(.protocolError)
    }

    override func countBytes(read: Int, written: Int) {
        counters.update { $0.bytesRead += read; $0.bytesWritten += written }
    }

    override func scanInbound(_ bytes: UnsafeRawBufferPointer) {
        scanner.scan(bytes)
        manager.headerBlock(pending: scanner.inHeaderBlock, now: monotonicNow())
    }

    override func writabilityChanged(_ writable: Bool) {
        manager.writability(writable, now: monotonicNow())
    }

    // MARK: events

    override func handle(events: [H2Event]) {
        // A stream that opens and closes within one batch never starts work (H2 note 2). A scan
        // of the (short) batch per opened stream: no set to allocate per read.
        func closedHere(_ s: Int32) -> Bool {
            events.contains { if case .streamClosed(s, _) = $0 { true } else { false } }
        }
        let now = monotonicNow()
        for event in events {
            switch event {
            case .headers(let s, let headers, let endStream):
                if closedHere(s) {
                    counters.reject(.streamOpenedAndClosed)
                    continue
                }
                open(stream: s, headers: headers, endStream: endStream, now: now)
            case .data(let s, let bytes, let endStream):
                manager.streamActivity(s, now: now)
                received(stream: s, bytes: bytes, endStream: endStream)
            case .trailers(let s, _):
                received(stream: s, bytes: [], endStream: true)
            case .streamClosed(let s, let code):
                closed(stream: s, code: code, now: now)
            case .headersRejected:
                counters.reject(.headerLimit)
            case .settingsAcked:
                manager.settingsAcknowledged()
            case .writable(let s):
                resumeWriters(s)
            case .goAway, .pingAcked:
                break
            }
        }
        scheduleFlush()
    }

    override func afterIO() {
        if !session.wantsRead && session.counters.goAwaysSent > 0 && !manager.isDraining && !manager.isClosed {
            // The session ended itself with an error GOAWAY (our glitch bucket, or nghttp2's RST
            // rate limit): counted once per connection; no timers run any more.
            counters.reject(.glitchLimit)
            manager.closed()
        }
    }

    private func open(stream id: Int32, headers: [H2Header], endStream: Bool, now: Double) {
        var method = "", path = "", contentType: String?
        var metadata = Metadata(minimumCapacity: headers.count)
        for h in headers {
            switch h.name {
            case ":method": method = h.value
            case ":path": path = h.value
            case "content-type": contentType = h.value
            default: if !h.name.hasPrefix(":") { metadata[h.name] = h.value }
            }
        }
        let stream = ServerStream(id: id)
        stream.requestEnded = endStream
        streams[id] = stream
        manager.streamOpened(id, now: now) // every stream counts against idleness and inactivity
        let pathOnly = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[..<$0]) } ?? path
        // Routes are only ever added, so an RPC path once resolved keeps its route: the
        // connection remembers a few, sparing the router's lock and two hash lookups.
        let cached = routeCache.first { $0.path == pathOnly }?.route
        if cached == nil, let get = router.get(pathOnly) {
            stream.discarding = true
            counters.update { $0.httpRequests += 1 }
            guard method == "GET" || method == "HEAD" else { return respondHTTP(stream, 405, "method not allowed\n", .methodNotAllowed) }
            serveGET(stream, route: get, method: method, path: path, metadata: metadata)
            return
        }
        let route = cached ?? router.rpc(pathOnly)
        if cached == nil, let route {
            if routeCache.count == 8 { routeCache.removeFirst() }
            routeCache.append((pathOnly, route))
        }
        guard route != nil || pathOnly.hasPrefix(config.rpcPathPrefix) else {
            stream.discarding = true
            return respondHTTP(stream, 404, "not found\n", .notFound)
        }
        guard method == "POST" else { stream.discarding = true; return respondHTTP(stream, 405, "RPCs use POST\n", .methodNotAllowed) }
        guard contentType == config.contentType else {
            stream.discarding = true
            return respondHTTP(stream, 415, "content-type must be \(config.contentType)\n", .unsupportedMediaType)
        }
        guard let route else {
            guard Auth.mayLearnUnknownMethod(metadata["authorization"], tokens: config.tokens) else {
                return reject(stream, RPCStatus(.unauthenticated, "missing or unknown bearer token"), .unauthenticated)
            }
            return reject(stream, RPCStatus(.unimplemented, "unknown method \(pathOnly)"), .unimplemented)
        }
        var authenticatedAs = AuthClass.none
        switch Auth.check(metadata["authorization"], route: route.options.auth,
                              tokens: route.options.tokens ?? config.tokens) {
        case .allowed(let c): authenticatedAs = c
        case .unauthenticated(let m): return reject(stream, RPCStatus(.unauthenticated, m), .unauthenticated)
        case .permissionDenied(let m): return reject(stream, RPCStatus(.permissionDenied, m), .permissionDenied)
        }
        stream.route = route
        stream.deframer = Deframer(maxMessageBytes: route.options.maxMessageBytes)
        manager.streamOpened(id, timeout: route.options.inactivityTimeout, now: now)
        if refusesNewRPCs { return refuseNewRPC(stream) }
        if route.immediate != nil {
            // Answered in place by `startIfReady` when the request is complete.
            stream.call = (pathOnly, metadata, authenticatedAs)
            if endStream { received(stream: id, bytes: [], endStream: true) }
            return
        }
        // One-message requests are credited when complete (startIfReady): no callback per take.
        let inbox = route.options.requestMessages == .one ? MessageInbox() : MessageInbox(onTake: { [self] size in
            eventLoop.execute { self.messageTaken(stream: id, size: size) }
        })
        stream.inbox = inbox
        let request = RPCRequest(path: pathOnly, metadata: metadata, peer: peer,
                                 authenticatedAs: authenticatedAs, messages: RPCMessages(inbox: inbox))
        let responder = RPCResponder(sink: StreamSink(connection: self, stream: id),
                                     cardinality: route.options.responseMessages)
        if endStream { received(stream: id, bytes: [], endStream: true) }
        if route.options.requestMessages == .one {
            // Started by `received` once the request is complete and holds exactly one message.
            stream.task = nil
            pendingStarts[id] = (request, responder)
            if stream.requestEnded { startIfReady(stream) }
        } else {
            start(stream, request: request, responder: responder)
        }
    }

    func start(_ stream: ServerStream, request: RPCRequest, responder: RPCResponder) {
        guard let route = stream.route, !stream.finished else { return }
        let counters = counters
        counters.update { $0.rpcsStarted += 1; $0.handlersRunning += 1 }   // one lock for both
        // One closure per task (no separate body closure to allocate and call).
        if route.options.runsOnEventLoop {
            stream.task = Task.immediate(executorPreference: loopExecutor) {
                await Self.runHandler(route, request: request, responder: responder, counters: counters)
            }
        } else {
            stream.task = Task { await Self.runHandler(route, request: request, responder: responder, counters: counters) }
        }
    }

    private static func runHandler(_ route: RPCRoute, request: RPCRequest, responder: RPCResponder, counters: CounterBox) async {
        let status = await RPCResponder.run(route.handler, request: request, responder: responder)
        counters.update { $0.countFinished(status.code); $0.handlersRunning -= 1 }
    }

    /// Runs handler tasks of `runsOnEventLoop` routes on this connection's event loop.
    private(set) lazy var loopExecutor = EventLoopTaskExecutor(loop: eventLoop)

    /// Requests of one-message routes waiting for their end of stream.
    var pendingStarts = StreamTable<(RPCRequest, RPCResponder)>()

    /// Reused by `received` for the messages a DATA frame completes.
    var framesScratch: [FramedMessage] = []

    /// RPC routes this connection resolved recently (routes are never removed or replaced).
    private var routeCache: [(path: String, route: RPCRoute)] = []

    func startIfReady(_ stream: ServerStream) {
        if let immediate = stream.route?.immediate { return answer(stream, immediate) }
        guard let (request, responder) = pendingStarts.removeValue(forKey: stream.id) else { return }
        guard let message = takeSingleMessage(stream) else { return }
        stream.delivered += 1
        stream.taken += 1
        stream.inbox?.push(message)
        stream.inbox?.finish(.success(()))
        start(stream, request: request, responder: responder)
    }

    /// The one message of a complete one-message request, with its window credit returned
    /// (the whole request is here and bounded by the route limit); nil after failing the RPC
    /// when the request held zero or several messages.
    private func takeSingleMessage(_ stream: ServerStream) -> [UInt8]? {
        guard stream.singleCount == 1, let message = stream.single else {
            fail(stream, RPCStatus(.invalidArgument, "a one-message request ended with \(stream.singleCount) messages"),
                 .wrongMessageCount)
            return nil
        }
        stream.single = nil
        if stream.unconsumed > 0 {
            session.consume(stream: stream.id, bytes: stream.unconsumed)
            stream.unconsumed = 0
        }
        return message
    }

    /// Runs an immediate unary handler on the complete request and sends its answer.
    private func answer(_ stream: ServerStream, _ handler: ImmediateUnaryHandler) {
        guard let call = stream.call, !stream.finished else { return }
        stream.call = nil
        guard let message = takeSingleMessage(stream) else { return }
        let result = handler(UnaryCall(path: call.path, metadata: call.metadata, peer: peer,
                                       authenticatedAs: call.authenticatedAs, message: message))
        let status: RPCStatus
        switch result {
        case .success(let response):
            _ = sendMessage(stream: stream.id, payload: response)
            // Finished already: refused over the queue caps (resource_exhausted was sent).
            status = stream.finished ? RPCStatus(.resourceExhausted, "response refused over the queue caps") : .ok
        case .failure(let s):
            status = s
        }
        finishStream(stream, status)
        counters.update { $0.rpcsStarted += 1; $0.countFinished(status.code) }
    }

    private func serveGET(_ stream: ServerStream, route: GETRoute, method: String, path: String, metadata: Metadata) {
        switch Auth.check(metadata["authorization"], route: route.auth, tokens: config.tokens) {
        case .allowed: break
        case .unauthenticated:
            return respondHTTP(stream, 401, "unauthorized\n", .unauthenticated, extra: [H2Header("www-authenticate", "Bearer")])
        case .permissionDenied:
            return respondHTTP(stream, 403, "forbidden\n", .permissionDenied)
        }
        let parts = path.split(separator: "?", maxSplits: 1)
        let request = HTTPRequest(method: method, path: String(parts.first ?? ""), query: parts.count > 1 ? String(parts[1]) : "",
                                  metadata: metadata, peer: peer)
        let id = stream.id
        let handler: HTTPHandler
        switch route.handler {
        case .immediate(let respond):
            return sendHTTP(stream: id, respond(request), head: method == "HEAD")
        case .async(let h):
            handler = h
        }
        counters.update { $0.handlersRunning += 1 }
        stream.task = Task { [self] in
            let response = await handler(request)
            eventLoop.execute { self.sendHTTP(stream: id, response, head: method == "HEAD") }
            counters.update { $0.handlersRunning -= 1 }
        }
    }
}
