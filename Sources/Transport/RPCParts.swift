// The parts of one RPC as the application sees them on the server: a request head
// plus an async sequence of message payloads (RPCRequest), and a responder that sends
// payloads and whose handler's return value becomes the final status. The same types
// serve the socket server and InProcessTransport; only the ResponseSink differs.

import NIOConcurrencyHelpers
import Synchronization
import Wire

/// Where a responder's messages and final status go (an HTTP/2 stream, or an in-process call).
protocol ResponseSink: Sendable {
    /// Sends one message payload; suspends while the stream's outbound queue is above its
    /// high watermark. Throws an ``RPCStatus`` when the stream is gone.
    func send(_ payload: [UInt8]) async throws
    /// Ends the RPC with `status` (trailers, or a trailers-only response when nothing was sent),
    /// sending `lastMessage` first when given (one-message routes hand their message over here,
    /// so a unary response costs one hop to the event loop).
    func finish(_ status: RPCStatus, lastMessage: [UInt8]?)
}

/// The request side of an RPC as a handler sees it.
public struct RPCRequest: Sendable {
    /// `:path`, e.g. `/tributary.v1/Submit`.
    public let path: String
    /// Request headers other than pseudo-headers (lower-case names), incl. `authorization`.
    public let metadata: Metadata
    /// The peer's address, e.g. `127.0.0.1:51234` (`in-process` for InProcessTransport).
    public let peer: String
    /// Which token class authenticated the call (`.none` on open routes).
    public let authenticatedAs: AuthClass
    /// The request message payloads (deframed; the size limit is applied on each prefix).
    public let messages: RPCMessages

    /// For routes with one request message: returns it.
    /// - Throws: ``RPCStatus`` (`invalidArgument`) when the stream holds none.
    public func message() async throws -> [UInt8] {
        guard let m = try await messages.next() else {
            throw RPCStatus(.invalidArgument, "request stream ended without a message")
        }
        return m
    }
}

/// Sends the response messages of one RPC. Safe to use from any task.
public final class RPCResponder: Sendable {
    let sink: any ResponseSink
    let cardinality: Cardinality
    /// Messages sent so far, and the message of a `.one` route (sent together with the status).
    /// Inline mutex (no separate allocation per responder).
    private let state = Mutex<(sent: Int, held: [UInt8]?)>((0, nil))

    init(sink: any ResponseSink, cardinality: Cardinality) {
        self.sink = sink
        self.cardinality = cardinality
    }

    /// Response messages sent so far.
    public var messagesSent: Int { state.withLock { $0.sent } }

    /// Sends one message payload (framed by the transport). Suspends while the peer is not
    /// reading fast enough (outbound back-pressure).
    /// - Throws: ``RPCStatus`` — `cancelled` when the peer reset the stream, `internal` when the
    ///   route allows no more response messages.
    public func send(_ payload: [UInt8]) async throws {
        let n = state.withLock { s in
            s.sent += 1
            if cardinality == .one && s.sent == 1 { s.held = payload } // goes out with the status (ResponseSink.finish)
            return s.sent
        }
        switch cardinality {
        case .none: throw RPCStatus(.internal, "this route sends no response messages")
        case .one where n > 1: throw RPCStatus(.internal, "this route sends exactly one response message")
        case .one: return
        case .many: break
        }
        try await sink.send(payload)
    }

    /// Runs `handler` and finishes the RPC with its status (see ``RPCHandler``).
    static func run(_ handler: RPCHandler, request: RPCRequest, responder: RPCResponder) async -> RPCStatus {
        var status: RPCStatus
        do {
            status = try await handler(request, responder)
        } catch let s as RPCStatus {
            status = s
        } catch is CancellationError {
            status = RPCStatus(.cancelled, "the handler was cancelled")
        } catch {
            status = RPCStatus(.internal, "handler failed: \(error)")
        }
        if status.code == .ok && responder.cardinality == .one && responder.messagesSent == 0 {
            status = RPCStatus(.internal, "handler returned OK without its one response message")
        }
        // PROTOCOL.md §3: no response message when the status is not OK.
        let last = status.code == .ok ? responder.state.withLock { $0.held } : nil
        responder.sink.finish(status, lastMessage: last)
        return status
    }
}
