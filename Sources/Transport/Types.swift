// Transport's application-facing vocabulary: metadata, routes and their options
// (auth class, message cardinality, size limit, inactivity timeout), plain HTTP
// responses. Nothing here knows about HTTP/2 framing or about RL (TRANSPORT.md "Layers" 4).

import Wire

/// Request metadata: lower-case header names to values (pseudo-headers excluded).
public typealias Metadata = [String: String]

/// Which bearer tokens a route accepts (proto/PROTOCOL.md §13).
public enum AuthClass: Sendable, Hashable {
    /// No token needed.
    case none
    /// A worker or an admin token.
    case worker
    /// An admin token; a valid worker token gets `permissionDenied` (HTTP 403 on GET routes).
    case admin
}

/// How many messages flow in one direction of an RPC.
public enum Cardinality: Sendable, Hashable {
    /// No message (e.g. a status-only response).
    case none
    /// Exactly one message. For requests the transport delivers it only once the client ended
    /// its side; zero or several messages fail the RPC with `invalidArgument` before the handler sees it.
    case one
    /// Any number of messages.
    case many
}

/// Per-route options of an RPC.
public struct RouteOptions: Sendable {
    /// Who may call it.
    public var auth: AuthClass
    /// Largest request message payload, checked on the 5-byte prefix before buffering.
    public var maxMessageBytes: Int
    /// How many request messages the client sends.
    public var requestMessages: Cardinality
    /// How many response messages the handler sends on success (`.one`: OK without one is `internal`).
    public var responseMessages: Cardinality
    /// Reset the stream when no byte moved either way for this long (nil: the server default).
    /// Long-lived watch streams want a large value.
    public var inactivityTimeout: Double?
    /// Token sets for this route only (nil: the server's ``ServerConfiguration/tokens``).
    public var tokens: TokenSets?
    /// Run the handler's task on the connection's event loop (a task-executor preference) instead
    /// of the global concurrency pool: no thread hop per call. The task starts immediately, inside
    /// the read that completed the request (`Task.immediate`), and runs until its first
    /// suspension before the next request is looked at. Only for handlers that never block
    /// — no file I/O, no long computation, and no calls into actors that do either (a default
    /// actor entered from such a task runs on the event loop too).
    public var runsOnEventLoop: Bool

    public init(auth: AuthClass = .worker, maxMessageBytes: Int = 64 * 1024,
                requestMessages: Cardinality = .many, responseMessages: Cardinality = .many,
                inactivityTimeout: Double? = nil, tokens: TokenSets? = nil, runsOnEventLoop: Bool = false) {
        self.tokens = tokens
        self.runsOnEventLoop = runsOnEventLoop
        self.auth = auth
        self.maxMessageBytes = maxMessageBytes
        self.requestMessages = requestMessages
        self.responseMessages = responseMessages
        self.inactivityTimeout = inactivityTimeout
    }
}

/// A plain HTTP request on a GET route.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    /// Query string without `?` ("" when none).
    public var query: String
    public var metadata: Metadata
    public var peer: String
}

/// A plain HTTP response for a GET route (no framing, no `tributary-status`).
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra response headers (lower-case names).
    public var headers: [(String, String)]

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8],
                headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", text: String) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8))
    }

    public static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body
            && a.headers.map { $0.0 + ":" + $0.1 } == b.headers.map { $0.0 + ":" + $0.1 }
    }
}

/// Handler of a GET route.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// Handler of an RPC: read `request.messages`, write with `responder.send`, return the final
/// status. Throwing an ``RPCStatus`` ends the RPC with it; any other error becomes `internal`.
public typealias RPCHandler = @Sendable (RPCRequest, RPCResponder) async throws -> RPCStatus

/// What an immediate unary handler sees of its call (see
/// ``TransportServer/registerImmediateUnary(path:auth:maxMessageBytes:handler:)``).
public struct UnaryCall: Sendable {
    /// `:path`, e.g. `/tributary.v1/Ping`.
    public let path: String
    /// Request headers other than pseudo-headers (lower-case names).
    public let metadata: Metadata
    /// The peer's address (`in-process` for InProcessTransport).
    public let peer: String
    /// Which token class authenticated the call (`.none` on open routes).
    public let authenticatedAs: AuthClass
    /// The one request message.
    public let message: [UInt8]
}

/// Handler of an immediate unary RPC: runs on the connection's event loop, so it must be
/// quick and must never block or wait. The response message, or the status that ends the RPC.
public typealias ImmediateUnaryHandler = @Sendable (UnaryCall) -> Result<[UInt8], RPCStatus>

/// Errors of the transport API itself (not RPC outcomes, which are ``RPCStatus``).
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range; the message names the field.
    case invalidConfiguration(String)
    /// Connecting failed (address, refused, TLS handshake…).
    case connectFailed(String)
    /// The connection is closed or going away.
    case connectionClosed
    /// Registering a path twice.
    case duplicateRoute(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): "invalid transport configuration: \(m)"
        case .connectFailed(let m): "connect failed: \(m)"
        case .connectionClosed: "the connection is closed"
        case .duplicateRoute(let p): "a route for \(p) is already registered"
        }
    }
}
