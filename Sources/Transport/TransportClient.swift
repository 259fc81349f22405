// TransportClient: RPC calls over one HTTP/2 connection (h2c prior knowledge or TLS with
// CA, optional client certificate and SNI). Reconnects on demand: a call made after the
// connection closed or received GOAWAY opens a new one. Backoff is the retry helper.

import H2
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLS
import Wire

/// An HTTP/2 RPC client for one server address.
public final class TransportClient: RPCClient {
    /// Client settings.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// nil: h2c with prior knowledge. Otherwise TLS 1.3 with this client context.
        public var tls: TLSContext?
        /// SNI and certificate name check (TLS only); defaults to `host`.
        public var serverName: String?
        /// HTTP/2 limits of the client session.
        public var h2 = H2Configuration()
        /// Default largest response message payload (per call override in ``TransportClient/call(path:metadata:maxResponseBytes:)``). Default 1 MiB.
        public var maxResponseBytes = 1 << 20
        /// Content type sent with every call.
        public var contentType = WireProtocol.contentType
        /// TCP connect + TLS handshake timeout, seconds. Default 10.
        public var connectTimeout: Double = 10
        /// Keepalive: while calls are open and nothing arrived for this many seconds, send a PING
        /// (nil: never). Default 20. A dead link or a stopped server is noticed this way, instead
        /// of after TCP's retransmission timeout (minutes): open calls end with `unavailable` and
        /// the next call reconnects.
        public var keepaliveInterval: Double? = 20
        /// Seconds to wait for the PING's ACK before closing the connection. Default 10.
        public var keepaliveTimeout: Double = 10

        public init(host: String, port: Int, tls: TLSContext? = nil, serverName: String? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
            self.serverName = serverName
        }
    }

    public let configuration: Configuration
    private let group: EventLoopGroup
    private let ownsGroup: Bool
    private struct Current {
        var connection: ClientConnection?
        var channel: Channel?
        var connects = 0
        var connecting: EventLoopFuture<ClientConnection>?
    }
    private let current = NIOLockedValueBox(Current())

    /// - Parameter group: event loops to use; nil creates a private one-thread group.
    public init(configuration: Configuration, group: EventLoopGroup? = nil) {
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.ownsGroup = group == nil
    }

    /// Keepalive PINGs sent on the current connection.
    public var keepalivePingsSent: Int {
        current.withLockedValue { $0.connection }?.keepalivePings.withLockedValue { $0 } ?? 0
    }

    /// Connections opened so far (1 + reconnects).
    public var connectionsOpened: Int { current.withLockedValue { $0.connects } }

    /// Starts an RPC. Connects (or reconnects) first when needed.
    public func call(path: String, metadata: Metadata = [:]) async throws -> ClientCall {
        try await call(path: path, metadata: metadata, maxResponseBytes: configuration.maxResponseBytes)
    }

    /// Starts an RPC with a response message limit of its own.
    public func call(path: String, metadata: Metadata, maxResponseBytes: Int) async throws -> ClientCall {
        try await open(path: path, metadata: metadata, maxResponseBytes: maxResponseBytes, unaryRequest: nil)
    }

    /// Opens a stream (and for unary calls sends the request and ends it) in one event-loop hop.
    /// A connection that turned out to be going away is replaced (a few attempts).
    private func open(path: String, metadata: Metadata, maxResponseBytes: Int, unaryRequest: [UInt8]?) async throws -> ClientCall {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await connection()
            do {
                let (id, inbox, status) = try await connection.eventLoop.submit {
                    let s = try connection.start(path: path, metadata: metadata, maxResponseBytes: maxResponseBytes)
                    if let unaryRequest {
                        _ = connection.send(stream: s.id, payload: unaryRequest)
                        _ = connection.send(stream: s.id, payload: nil)
                    }
                    return (s.id, s.inbox, s.status)
                }.get()
                return ClientCall(sink: ClientStreamSink(connection: connection, stream: id), inbox: inbox, statusBox: status)
            } catch TransportError.connectionClosed where attempt < 3 {
                continue // GOAWAY or close raced with us: the next connection() makes a new one
            }
        }
    }

    /// Unary fast path: opens the stream, sends the message and ends the request side in one
    /// hop to the event loop. A call the server did not process (stream refused, or above a
    /// GOAWAY's last stream id) is retried once on a fresh connection (PROTOCOL.md §2).
    public func unary(path: String, metadata: Metadata = [:], request: [UInt8]) async throws -> [UInt8] {
        do {
            return try await unaryOnce(path: path, metadata: metadata, request: request)
        } catch let s as RPCStatus where s.code == .unavailable && s.message.hasSuffix(notProcessed) {
            return try await unaryOnce(path: path, metadata: metadata, request: request)
        }
    }

    private func unaryOnce(path: String, metadata: Metadata, request: [UInt8]) async throws -> [UInt8] {
        let call = try await open(path: path, metadata: metadata, maxResponseBytes: configuration.maxResponseBytes,
                                  unaryRequest: request)
        return try await Self.unaryResult(call)
    }

    /// The open connection, or a new one (one connect at a time; concurrent callers share it).
    func connection() async throws -> ClientConnection {
        enum Next { case ready(ClientConnection), wait(EventLoopFuture<ClientConnection>), connect(EventLoopPromise<ClientConnection>) }
        let loop = group.next()
        let next: Next = current.withLockedValue { s in
            if let c = s.connection, c.usableFlag.withLockedValue({ $0 }) { return .ready(c) }
            if let f = s.connecting { return .wait(f) }
            let p = loop.makePromise(of: ClientConnection.self)
            s.connecting = p.futureResult
            return .connect(p)
        }
        switch next {
        case .ready(let c): return c
        case .wait(let f): return try await f.get()
        case .connect(let promise):
            do {
                let (connection, channel) = try await connect(on: loop)
                current.withLockedValue { s in
                    s.connection = connection
                    s.channel = channel
                    s.connects += 1
                    s.connecting = nil
                }
                promise.succeed(connection)
                return connection
            } catch {
                current.withLockedValue { $0.connecting = nil }
                promise.fail(error)
                throw error
            }
        }
    }

    private func connect(on loop: EventLoop) async throws -> (ClientConnection, Channel) {
        let c = configuration
        let made = loop.makePromise(of: ClientConnection.self)
        let authority = "\(c.host):\(c.port)"
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(c.connectTimeout * 1e9)))
            .channelInitializer { channel in
                do {
                    let session = try H2Session(role: .client, configuration: c.h2)
                    let connection = ClientConnection(session: session, eventLoop: channel.eventLoop, tls: c.tls != nil,
                                                      authority: authority, contentType: c.contentType)
                    if let interval = c.keepaliveInterval { connection.keepalive = (interval, c.keepaliveTimeout) }
                    let sync = channel.pipeline.syncOperations
                    if let tls = c.tls {
                        try sync.addHandler(TLSHandler(engine: TLSEngine(context: tls, serverName: c.serverName ?? c.host)))
                    }
                    try sync.addHandler(connection)
                    made.succeed(connection)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    made.fail(error)
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: c.host, port: c.port).get()
        } catch {
            made.fail(error)
            made.futureResult.whenSuccess { $0.ready.fail(TransportError.connectFailed("\(error)")) }
            throw TransportError.connectFailed("\(c.host):\(c.port): \(error)")
        }
        let connection = try await made.futureResult.get()
        let timeout = loop.scheduleTask(in: .nanoseconds(Int64(c.connectTimeout * 1e9))) {
            connection.ready.fail(TransportError.connectFailed("TLS handshake timed out"))
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        do {
            try await connection.ready.futureResult.get()
        } catch {
            try? await channel.close()
            throw error as? TransportError ?? TransportError.connectFailed("\(error)")
        }
        return (connection, channel)
    }

    /// Closes the connection (open calls end with `unavailable`) and the private event loops.
    public func close() async {
        let channel = current.withLockedValue { s -> Channel? in
            defer { s.connection = nil; s.channel = nil }
            return s.channel
        }
        try? await channel?.close()
        if ownsGroup { try? await group.shutdownGracefully() }
    }
}

/// Exponential backoff with full jitter (PROTOCOL.md §3 Watch: start 100 ms, cap 10 s).
public struct Backoff: Sendable {
    public var initial: Double
    public var cap: Double
    public private(set) var attempt = 0

    public init(initial: Double = 0.1, cap: Double = 10) {
        self.initial = initial
        self.cap = cap
    }

    /// The delay before the next attempt: uniform in [0, min(cap, initial·2^attempt)].
    public mutating func next<R: RandomNumberGenerator>(using rng: inout R) -> Double {
        let ceiling = min(cap, initial * Double(1 << min(attempt, 30)))
        attempt += 1
        return Double.random(in: 0...ceiling, using: &rng)
    }

    public mutating func next() -> Double {
        var g = SystemRandomNumberGenerator()
        return next(using: &g)
    }

    /// Call after a success.
    public mutating func reset() { attempt = 0 }
}
