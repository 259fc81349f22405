// Router: the server's routes — RPCs by path (with their options and handler) and
// plain GET routes — looked up per request under a lock, so routes may be
// registered before or after the server starts.

import NIOConcurrencyHelpers
import Wire

/// A class, so a stream holds its route with one reference count rather than one per field.
final class RPCRoute: Sendable {
    let path: String
    let options: RouteOptions
    let handler: RPCHandler
    /// Set for immediate unary routes: the socket server calls it in place on the event loop
    /// (no task, no inbox, no responder). `handler` wraps it for InProcessTransport.
    let immediate: ImmediateUnaryHandler?

    init(path: String, options: RouteOptions, handler: @escaping RPCHandler) {
        self.path = path; self.options = options; self.handler = handler; immediate = nil
    }

    /// An immediate unary route: one request message, one response message.
    init(path: String, options: RouteOptions, immediate: @escaping ImmediateUnaryHandler) {
        self.path = path; self.options = options; self.immediate = immediate
        handler = { request, responder in
            let call = UnaryCall(path: request.path, metadata: request.metadata, peer: request.peer,
                                 authenticatedAs: request.authenticatedAs, message: try await request.message())
            switch immediate(call) {
            case .success(let response): try await responder.send(response); return .ok
            case .failure(let status): return status
            }
        }
    }
}

struct GETRoute: Sendable {
    enum Handler: Sendable {
        case async(HTTPHandler)
        /// Runs on the event loop (no task, no hops): must be quick and never block.
        case immediate(@Sendable (HTTPRequest) -> HTTPResponse)
    }
    let path: String
    let auth: AuthClass
    let handler: Handler
}

/// Registered routes of one server (or in-process transport).
final class Router: Sendable {
    private let state = NIOLockedValueBox((rpc: [String: RPCRoute](), get: [String: GETRoute]()))

    func add(_ route: RPCRoute) throws(TransportError) {
        let ok = state.withLockedValue { s -> Bool in
            guard s.rpc[route.path] == nil, s.get[route.path] == nil else { return false }
            s.rpc[route.path] = route
            return true
        }
        if !ok { throw .duplicateRoute(route.path) }
    }

    func add(_ route: GETRoute) throws(TransportError) {
        let ok = state.withLockedValue { s -> Bool in
            guard s.rpc[route.path] == nil, s.get[route.path] == nil else { return false }
            s.get[route.path] = route
            return true
        }
        if !ok { throw .duplicateRoute(route.path) }
    }

    func rpc(_ path: String) -> RPCRoute? { state.withLockedValue { $0.rpc[path] } }
    func get(_ path: String) -> GETRoute? { state.withLockedValue { $0.get[path] } }
}

/// Validates route options at registration.
func validate(_ options: RouteOptions, path: String) throws(TransportError) {
    guard path.hasPrefix("/") else { throw .invalidConfiguration("route path '\(path)' must start with '/'") }
    guard options.maxMessageBytes >= 0, options.maxMessageBytes <= Int(UInt32.max) else {
        throw .invalidConfiguration("route \(path): maxMessageBytes \(options.maxMessageBytes) out of 0...2^32-1")
    }
    guard options.requestMessages != .none else {
        throw .invalidConfiguration("route \(path): requestMessages must be .one or .many")
    }
    if let t = options.inactivityTimeout, !(t > 0) {
        throw .invalidConfiguration("route \(path): inactivityTimeout must be positive, got \(t)")
    }
}
