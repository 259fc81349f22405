// TransportServer: listeners (h2c prior knowledge and/or TLS), connection caps (overall and
// per peer address), route registration (RPCs by path, plain GET routes), counters, and
// graceful shutdown (GOAWAY, in-flight RPCs finish within a grace period, then close).

import H2
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLS
import Wire

/// An HTTP/2 RPC server. The application registers handlers by path and never sees HTTP/2.
public final class TransportServer: Sendable {
    public let configuration: ServerConfiguration
    let router = Router()
    let counterBox = CounterBox()
    let group: MultiThreadedEventLoopGroup

    private struct State {
        var listeners: [Channel] = []
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        var channels: [ObjectIdentifier: Channel] = [:]
        var perPeer: [String: Int] = [:]
        var open = 0
        var cleartextPort: Int?
        var tlsPort: Int?
        var http1Port: Int?
        var stopped = false
    }
    private let state = NIOLockedValueBox(State())

    /// - Throws: ``TransportError/invalidConfiguration(_:)`` naming the bad field.
    public init(configuration: ServerConfiguration = ServerConfiguration()) throws(TransportError) {
        try configuration.validate()
        self.configuration = configuration
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)
    }

    // MARK: routes

    /// Registers an RPC handler for `path` (e.g. `/tributary.v1/Submit`).
    /// - Parameters:
    ///   - auth: token class the caller needs (PROTOCOL.md §13).
    ///   - maxMessageBytes: largest request message payload, checked before buffering.
    ///   - requestMessages: `.one` (delivered once the request ended; 0 or 2+ → `invalidArgument`) or `.many`.
    ///   - responseMessages: `.none`, `.one` (OK without it → `internal`) or `.many`.
    ///   - inactivityTimeout: overrides the server's stream inactivity timeout (watch streams).
    public func register(path: String, auth: AuthClass = .worker, maxMessageBytes: Int = 64 * 1024,
                         requestMessages: Cardinality = .many, responseMessages: Cardinality = .many,
                         inactivityTimeout: Double? = nil, handler: @escaping RPCHandler) throws(TransportError) {
        try register(path: path, options: RouteOptions(auth: auth, maxMessageBytes: maxMessageBytes,
                                                       requestMessages: requestMessages,
                                                       responseMessages: responseMessages,
                                                       inactivityTimeout: inactivityTimeout), handler: handler)
    }

    /// Registers an RPC handler with explicit ``RouteOptions``.
    public func register(path: String, options: RouteOptions, handler: @escaping RPCHandler) throws(TransportError) {
        try validate(options, path: path)
        try router.add(RPCRoute(path: path, options: options, handler: handler))
    }

    /// Registers a plain HTTP GET (and HEAD) route, e.g. `/healthz`, `/metrics`. Without the
    /// needed token it answers 401 (`www-authenticate: Bearer`), with a worker token on an admin route 403.
    public func registerGET(path: String, auth: AuthClass = .none, handler: @escaping HTTPHandler) throws(TransportError) {
        guard path.hasPrefix("/") else { throw .invalidConfiguration("route path '\(path)' must start with '/'") }
        try router.add(GETRoute(path: path, auth: auth, handler: .async(handler)))
    }

    /// Registers a GET route whose handler runs directly on the connection's event loop — for
    /// cheap responses (`/healthz`, a cached `/status` snapshot). It must never block or wait.
    /// (A separate name, not an overload of ``registerGET(path:auth:handler:)``, so a trailing
    /// closure never silently lands on the event loop.)
    public func registerImmediateGET(path: String, auth: AuthClass = .none,
                                     handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(TransportError) {
        guard path.hasPrefix("/") else { throw .invalidConfiguration("route path '\(path)' must start with '/'") }
        try router.add(GETRoute(path: path, auth: auth, handler: .immediate(handler)))
    }

    /// Registers a unary RPC (one request message, one response message) whose handler runs
    /// directly on the connection's event loop once the request is complete: no task, no
    /// message inbox, no responder, so it costs the least a call can. For handlers that
    /// compute their answer from the request alone and quickly; anything that waits belongs
    /// in ``register(path:options:handler:)``. Framing, limits, auth and statuses are those of
    /// any route; InProcessTransport calls it through an ordinary task.
    public func registerImmediateUnary(path: String, auth: AuthClass = .worker, maxMessageBytes: Int = 64 * 1024,
                                       handler: @escaping ImmediateUnaryHandler) throws(TransportError) {
        let options = RouteOptions(auth: auth, maxMessageBytes: maxMessageBytes, requestMessages: .one, responseMessages: .one,
                                   runsOnEventLoop: true)
        try validate(options, path: path)
        try router.add(RPCRoute(path: path, options: options, immediate: handler))
    }

    // MARK: lifecycle

    /// Binds the configured listeners.
    public func start() async throws {
        if let address = configuration.http1Status {
            let channel = try await startHTTP1(address)
            state.withLockedValue { $0.listeners.append(channel); $0.http1Port = channel.localAddress?.port }
        }
        if let address = configuration.cleartext {
            let channel = try await bootstrap(tls: nil).bind(host: address.host, port: address.port).get()
            state.withLockedValue { $0.listeners.append(channel); $0.cleartextPort = channel.localAddress?.port }
        }
        if let tls = configuration.tls {
            let channel = try await bootstrap(tls: tls.context).bind(host: tls.address.host, port: tls.address.port).get()
            state.withLockedValue { $0.listeners.append(channel); $0.tlsPort = channel.localAddress?.port }
        }
    }

    /// The bound h2c port (after ``start()``), nil without that listener.
    public var cleartextPort: Int? { state.withLockedValue { $0.cleartextPort } }
    /// The bound HTTP/1.1 status port (after ``start()``), nil without that listener.
    public var http1StatusPort: Int? { state.withLockedValue { $0.http1Port } }
    /// The bound TLS port (after ``start()``), nil without that listener.
    public var tlsPort: Int? { state.withLockedValue { $0.tlsPort } }
    /// A snapshot of the counters (for /metrics).
    public var counters: TransportCounters { counterBox.snapshot }
    /// True once ``shutdown(grace:)`` began: long-lived handlers (watch streams) should end
    /// their RPC (e.g. with `unavailable`) so the drain completes within the grace period.
    public var isShuttingDown: Bool { state.withLockedValue { $0.stopped } }
    /// Connections currently open.
    public var openConnections: Int { state.withLockedValue { $0.open } }

    /// Response bytes queued inside the HTTP/2 sessions of all connections (bounded by the
    /// per-stream high watermark while writers honour back-pressure).
    public func queuedResponseBytes() async -> Int {
        let connections = state.withLockedValue { Array($0.connections.values) }
        var total = 0
        for c in connections {
            total += (try? await c.eventLoop.submit { c.session.totalQueuedBytes }.get()) ?? 0
        }
        return total
    }

    /// Graceful shutdown: stop accepting, send GOAWAY on every connection, let in-flight RPCs
    /// finish for up to `grace` seconds, then close everything and stop the event loops.
    public func shutdown(grace: Double = 30) async {
        let (listeners, connections, already) = state.withLockedValue { s in
            defer { s.stopped = true }
            return (s.listeners, Array(s.connections.values), s.stopped)
        }
        guard !already else { return }
        for l in listeners { try? await l.close() }
        for c in connections { c.eventLoop.execute { c.beginDrain(grace: grace) } }
        let deadline = monotonicNow() + grace + 2
        while openConnections > 0 && monotonicNow() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        let channels = state.withLockedValue { Array($0.channels.values) }
        for ch in channels { try? await ch.close() }
        // Cancelled handlers still report to their event loop: let them return first.
        let handlersDeadline = monotonicNow() + 5
        while counters.handlersRunning > 0 && monotonicNow() < handlersDeadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        try? await group.shutdownGracefully()
    }

    // MARK: internals

    private func bootstrap(tls: TLSContext?) -> ServerBootstrap {
        let c = configuration
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark,
                                value: .init(low: c.writeBufferLowWatermark, high: c.writeBufferHighWatermark))
            .childChannelInitializer { [self] channel in
                do {
                    try initialize(channel, tls: tls)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.close()
                }
            }
    }

    /// Counts a new connection against the overall and per-address caps. Returns its release
    /// (call once when it closes), or nil when refused (counted).
    func admit(_ channel: Channel) -> (@Sendable () -> Void)? {
        let ip = channel.remoteAddress?.ipAddress ?? "?"
        let c = configuration
        let admitted: TransportRejection? = state.withLockedValue { s in
            if s.stopped { return .shuttingDown }
            if s.open >= c.maxConnections { return .connectionCap }
            if s.perPeer[ip, default: 0] >= c.maxConnectionsPerPeer { return .peerConnectionCap }
            s.open += 1
            s.perPeer[ip, default: 0] += 1
            return nil
        }
        if let admitted {
            counterBox.reject(admitted)
            return nil
        }
        counterBox.update { $0.connectionsAccepted += 1 }
        let key = ObjectIdentifier(channel)
        return { [state] in
            state.withLockedValue { s in
                s.open -= 1
                s.perPeer[ip, default: 1] -= 1
                if s.perPeer[ip] == 0 { s.perPeer[ip] = nil }
                s.connections[key] = nil
                s.channels[key] = nil
            }
        }
    }

    private func initialize(_ channel: Channel, tls: TLSContext?) throws {
        let ip = channel.remoteAddress?.ipAddress ?? "?"
        let peer = "\(ip):\(channel.remoteAddress?.port ?? 0)"
        let c = configuration
        guard let release = admit(channel) else { throw TransportError.connectionClosed }
        let key = ObjectIdentifier(channel)
        let session: H2Session
        do { session = try H2Session(role: .server, configuration: c.h2) } catch { release(); throw error }
        let connection = ServerConnection(session: session, eventLoop: channel.eventLoop, config: c, router: router,
                                          counters: counterBox, peer: peer, onClose: release)
        state.withLockedValue { $0.connections[key] = connection; $0.channels[key] = channel }
        let sync = channel.pipeline.syncOperations
        if let tls {
            let engine: TLSEngine
            do { engine = try TLSEngine(context: tls) } catch { release(); throw error }
            let counters = counterBox
            try sync.addHandler(TLSHandler(engine: engine, onFailure: { _ in counters.reject(.tlsHandshake) }))
        }
        try sync.addHandler(connection)
    }
}
