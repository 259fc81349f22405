// InProcessTransport: the client-facing API of TransportClient wired straight to the
// handlers registered on a TransportServer (which need not be started), for application
// tests without sockets. Applies the same routing, token, size and message-count rules;
// each direction holds at most `window` unread messages (send suspends beyond that).

import NIOConcurrencyHelpers
import Wire

/// Counts messages in flight one way; `acquire` suspends at the window.
final class MessageWindow: Sendable {
    private let state: NIOLockedValueBox<(free: Int, closed: Bool, waiters: [CheckedContinuation<Bool, Never>])>
    init(_ size: Int) { state = NIOLockedValueBox((size, false, [])) }

    /// Waits for room; false once closed.
    func acquire() async -> Bool {
        await withCheckedContinuation { c in
            let now: Bool? = state.withLockedValue { s in
                if s.closed { return false }
                if s.free > 0 { s.free -= 1; return true }
                s.waiters.append(c)
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    func release() {
        let w: CheckedContinuation<Bool, Never>? = state.withLockedValue { s in
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.free += 1
            return nil
        }
        w?.resume(returning: true)
    }

    func close() {
        let ws = state.withLockedValue { s in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in ws { w.resume(returning: false) }
    }
}

/// One in-process call: both the client's sink and the handler's sink.
final class InProcessCall: CallSink, Sendable {
    let route: RPCRoute
    let requestInbox: MessageInbox
    let responseInbox: MessageInbox
    let status = StatusBox()
    let requestWindow: MessageWindow
    let responseWindow: MessageWindow
    private let state = NIOLockedValueBox((held: [[UInt8]](), finished: false, task: Task<Void, Never>?.none,
                                           request: RPCRequest?.none))

    init(route: RPCRoute, window: Int) {
        self.route = route
        let rq = MessageWindow(window), rs = MessageWindow(window)
        requestWindow = rq
        responseWindow = rs
        requestInbox = MessageInbox(onTake: { _ in rq.release() })
        responseInbox = MessageInbox(onTake: { _ in rs.release() })
    }

    /// Runs the handler now (streaming requests) or once the request ended (one-message routes).
    func begin(_ request: RPCRequest) {
        if route.options.requestMessages == .one {
            state.withLockedValue { $0.request = request }
        } else {
            start(request)
        }
    }

    private func start(_ request: RPCRequest) {
        let responder = RPCResponder(sink: InProcessResponseSink(call: self), cardinality: route.options.responseMessages)
        let handler = route.handler
        let task = Task { _ = await RPCResponder.run(handler, request: request, responder: responder) }
        state.withLockedValue { $0.task = task }
    }

    // MARK: client side

    func send(_ payload: [UInt8]) async throws {
        if let s = status.current { throw s }
        guard payload.count <= route.options.maxMessageBytes else {
            let s = RPCStatus(.resourceExhausted, "message of \(payload.count) bytes; this method's limit is \(route.options.maxMessageBytes) bytes")
            end(s)
            throw s
        }
        if route.options.requestMessages == .one {
            let count = state.withLockedValue { $0.held.append(payload); return $0.held.count }
            if count > 1 {
                let s = RPCStatus(.invalidArgument, "this RPC takes exactly one request message, got more")
                end(s)
                throw s
            }
            return
        }
        guard await requestWindow.acquire() else { throw status.current ?? RPCStatus(.cancelled, "call ended") }
        requestInbox.push(payload)
    }

    func finish() async throws {
        if let s = status.current { throw s }
        let (already, held, request) = state.withLockedValue { s in
            defer { s.finished = true }
            return (s.finished, s.held, s.request)
        }
        guard !already else { return }
        if route.options.requestMessages == .one {
            guard held.count == 1 else {
                return end(RPCStatus(.invalidArgument, "a one-message request ended with \(held.count) messages"))
            }
            requestInbox.push(held[0])
            requestInbox.finish(.success(()))
            if let request { start(request) }
        } else {
            requestInbox.finish(.success(()))
        }
    }

    func cancel() { end(RPCStatus(.cancelled, "cancelled by the client")) }

    func sendRaw(_ bytes: [UInt8], endStream: Bool) async throws {
        throw RPCStatus(.unimplemented, "raw bytes have no meaning in process")
    }

    /// Ends the call from either side with `s`.
    func end(_ s: RPCStatus) {
        guard status.set(s) else { return }
        requestInbox.finish(.failure(RPCStatus(.cancelled, "the call ended: \(s)")))
        responseInbox.finish(s.code == .ok ? .success(()) : .failure(s), discard: false)
        requestWindow.close()
        responseWindow.close()
        if s.code != .ok { state.withLockedValue { $0.task }?.cancel() }
    }
}

/// The handler's view of an ``InProcessCall``.
struct InProcessResponseSink: ResponseSink {
    let call: InProcessCall
    func send(_ payload: [UInt8]) async throws {
        if let s = call.status.current { throw RPCStatus(.cancelled, "the call ended: \(s)") }
        guard await call.responseWindow.acquire() else { throw RPCStatus(.cancelled, "the call ended") }
        call.responseInbox.push(payload)
    }
    func finish(_ status: RPCStatus, lastMessage: [UInt8]?) {
        if let lastMessage, call.status.current == nil { call.responseInbox.push(lastMessage) }
        call.end(status)
    }
}

/// Calls the handlers registered on a ``TransportServer`` directly, without sockets or HTTP/2.
/// Same client API as ``TransportClient`` (``RPCClient``); same routing and token rules.
public final class InProcessTransport: RPCClient {
    let server: TransportServer
    /// Unread messages allowed per direction before `send` suspends.
    public let window: Int
    /// The peer string handlers see.
    public static let peer = "in-process"

    /// - Parameter server: where the routes are registered; it need not be started.
    public init(server: TransportServer, window: Int = 16) {
        self.server = server
        self.window = max(1, window)
    }

    /// Starts a call on a registered handler (rejections come back as an already-ended call).
    public func call(path: String, metadata: Metadata = [:]) async throws -> ClientCall {
        let config = server.configuration
        guard let route = server.router.rpc(path) else {
            let status = !path.hasPrefix(config.rpcPathPrefix) ? RPCStatus(.unimplemented, "HTTP status 404")
                : Auth.mayLearnUnknownMethod(metadata["authorization"], tokens: config.tokens)
                ? RPCStatus(.unimplemented, "unknown method \(path)") : RPCStatus(.unauthenticated, "missing or unknown bearer token")
            return Self.ended(status)
        }
        var authenticatedAs = AuthClass.none
        switch Auth.check(metadata["authorization"], route: route.options.auth,
                              tokens: route.options.tokens ?? config.tokens) {
        case .allowed(let c): authenticatedAs = c
        case .unauthenticated(let m): return Self.ended(RPCStatus(.unauthenticated, m))
        case .permissionDenied(let m): return Self.ended(RPCStatus(.permissionDenied, m))
        }
        let call = InProcessCall(route: route, window: window)
        let request = RPCRequest(path: path, metadata: metadata, peer: Self.peer, authenticatedAs: authenticatedAs,
                                 messages: RPCMessages(inbox: call.requestInbox))
        call.begin(request)
        return ClientCall(sink: call, inbox: call.responseInbox, statusBox: call.status)
    }

    /// A call that already ended with `status` (rejected before reaching a handler).
    static func ended(_ status: RPCStatus) -> ClientCall {
        let inbox = MessageInbox()
        inbox.finish(.failure(status))
        let box = StatusBox()
        box.set(status)
        return ClientCall(sink: EndedSink(status: status), inbox: inbox, statusBox: box)
    }
}

struct EndedSink: CallSink {
    let status: RPCStatus
    func send(_ payload: [UInt8]) async throws { throw status }
    func finish() async throws {}
    func cancel() {}
    func sendRaw(_ bytes: [UInt8], endStream: Bool) async throws { throw status }
}
