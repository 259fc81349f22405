// TransportServer.Configuration: listeners, limits, timers and tokens of a server, with
// TRANSPORT.md's defaults. Every HTTP/2 limit lives in `h2` (H2Configuration), every
// timer in `timeouts` (ConnectionTimeouts); connection caps and tokens here.

import H2
import TLS
import Wire

/// Where a listener binds.
public struct ListenAddress: Sendable, Equatable {
    /// Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`.
    public var host: String
    /// 0 = an ephemeral port (read the bound one from ``TransportServer/cleartextPort``/``TransportServer/tlsPort``).
    public var port: Int
    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }
}

/// A TLS listener: address plus a server ``TLSContext`` (certificates, optional mTLS).
public struct TLSListener: Sendable {
    public var address: ListenAddress
    public var context: TLSContext
    public init(address: ListenAddress, context: TLSContext) {
        self.address = address
        self.context = context
    }
}

/// Settings of a ``TransportServer``.
public struct ServerConfiguration: Sendable {
    /// Cleartext h2c (prior knowledge) listener; nil for none. Default 127.0.0.1, ephemeral port.
    public var cleartext: ListenAddress? = ListenAddress()
    /// TLS 1.3 listener; nil (default) for none.
    public var tls: TLSListener?
    /// An HTTP/1.1 listener serving only the GET routes (probes, Prometheus, browsers); nil: none.
    public var http1Status: ListenAddress?
    /// HTTP/2 limits (concurrency, header list, windows, glitch bucket…). Defaults: TRANSPORT.md.
    public var h2 = H2Configuration()
    /// Timers (settings ACK, header completion, idle, stream inactivity, max age + grace, write stall).
    public var timeouts = ConnectionTimeouts()
    /// How often the timers are evaluated, seconds. Default 1.
    public var tickInterval: Double = 1
    /// Open connections allowed in total; more are closed at accept. Default 1024.
    public var maxConnections = 1024
    /// Open connections allowed from one peer IP address. Default 64.
    public var maxConnectionsPerPeer = 64
    /// Bearer tokens for `.worker` and `.admin` routes.
    public var tokens = TokenSets()
    /// Paths under this prefix are RPCs: unknown ones answer `unimplemented`; others 404.
    public var rpcPathPrefix = WireProtocol.pathPrefix
    /// Content type every RPC request must carry (else HTTP 415) and responses carry.
    public var contentType = WireProtocol.contentType
    /// Event-loop threads of the server's own group. Default 1 (TRANSPORT.md: one is enough).
    public var eventLoopThreads = 1
    /// Socket receive/send watermarks: writes above `high` make the channel unwritable (reading
    /// pauses and response queues stop draining until it falls below `low`). Default 256 KiB / 64 KiB.
    public var writeBufferHighWatermark = 256 * 1024
    public var writeBufferLowWatermark = 64 * 1024
    /// Hold socket reads while nghttp2 has more than this many frames queued (ACK floods). Default 1000.
    public var maxOutboundFrames = 1000
    /// Most response body bytes queued on one stream (waiting for the peer's flow-control window
    /// or the socket). A response message that would go above it is refused: before the response
    /// began, with a trailers-only `resource_exhausted` status; after, with RST_STREAM
    /// (ENHANCE_YOUR_CALM) and the stream's queue dropped. Writers that honour back-pressure stay
    /// below the H2 high watermark plus one message, so the default (4 MiB) leaves room for a
    /// 1 MiB bulk message above the 1 MiB watermark.
    public var maxQueuedBytesPerStream = 4 << 20
    /// Most response body bytes queued on all streams of one connection; beyond it new response
    /// messages are refused as above, and plain HTTP responses get 503. Default 16 MiB.
    public var maxQueuedBytesPerConnection = 16 << 20

    public init() {}

    /// Checks ranges; names the field at fault.
    public func validate() throws(TransportError) {
        do { try h2.validate() } catch { throw .invalidConfiguration("h2: \(error)") }
        try timeouts.validate()
        if cleartext == nil && tls == nil { throw .invalidConfiguration("neither a cleartext nor a TLS listener") }
        for a in [cleartext, tls?.address, http1Status].compactMap({ $0 }) where !(0...65535).contains(a.port) {
            throw .invalidConfiguration("port \(a.port) out of 0...65535")
        }
        if !(tickInterval > 0) { throw .invalidConfiguration("tickInterval must be positive") }
        if maxConnections < 1 || maxConnectionsPerPeer < 1 {
            throw .invalidConfiguration("maxConnections and maxConnectionsPerPeer must be at least 1")
        }
        if maxQueuedBytesPerStream < 1 << 16 || maxQueuedBytesPerConnection < maxQueuedBytesPerStream {
            throw .invalidConfiguration("maxQueuedBytesPerStream must be at least 65536 and at most maxQueuedBytesPerConnection (\(maxQueuedBytesPerStream), \(maxQueuedBytesPerConnection))")
        }
        if eventLoopThreads < 1 { throw .invalidConfiguration("eventLoopThreads must be at least 1") }
        if writeBufferLowWatermark > writeBufferHighWatermark || writeBufferLowWatermark < 1 {
            throw .invalidConfiguration("writeBufferLowWatermark must be in 1...writeBufferHighWatermark")
        }
    }
}
