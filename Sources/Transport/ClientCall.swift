// ClientCall: one RPC as a client sees it — send messages, finish, read response
// messages, await the final status, cancel. The same type serves TransportClient
// (an HTTP/2 stream) and InProcessTransport; only the CallSink differs.

import NIOConcurrencyHelpers
import Wire

/// Where a call's request messages go.
protocol CallSink: Sendable {
    func send(_ payload: [UInt8]) async throws
    func finish() async throws
    func cancel()
    /// Sends bytes as they are (no framing): for tests of malformed input.
    func sendRaw(_ bytes: [UInt8], endStream: Bool) async throws
}

/// A value set once, awaited by any number of tasks.
final class StatusBox: Sendable {
    private let state = NIOLockedValueBox((status: RPCStatus?.none, waiters: [CheckedContinuation<RPCStatus, Never>]()))

    /// Sets the status (first call wins). Returns true if this call set it.
    @discardableResult
    func set(_ status: RPCStatus) -> Bool {
        let waiters: [CheckedContinuation<RPCStatus, Never>]? = state.withLockedValue { s in
            guard s.status == nil else { return nil }
            s.status = status
            defer { s.waiters = [] }
            return s.waiters
        }
        guard let waiters else { return false }
        for w in waiters { w.resume(returning: status) }
        return true
    }

    var current: RPCStatus? { state.withLockedValue { $0.status } }

    func wait() async -> RPCStatus {
        await withCheckedContinuation { c in
            let now: RPCStatus? = state.withLockedValue { s in
                if let st = s.status { return st }
                s.waiters.append(c)
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }
}

/// One RPC in progress on the client side.
public final class ClientCall: Sendable {
    let sink: any CallSink
    let statusBox: StatusBox
    /// The response message payloads. Ends when the status is OK; throws the status otherwise
    /// (after delivering the messages that arrived before it).
    public let responses: RPCMessages

    init(sink: any CallSink, inbox: MessageInbox, statusBox: StatusBox) {
        self.sink = sink
        self.responses = RPCMessages(inbox: inbox)
        self.statusBox = statusBox
    }

    /// Sends one request message. Suspends while the stream's outbound queue is above its high watermark.
    /// - Throws: the call's ``RPCStatus`` once it ended (e.g. the server failed it or reset the stream).
    public func send(_ payload: [UInt8]) async throws {
        do { try await sink.send(payload) } catch { throw statusBox.current ?? error }
    }

    /// Ends the request side (END_STREAM). Further sends fail.
    /// - Throws: like ``send(_:)``, the call's status once the server ended it.
    public func finish() async throws {
        do { try await sink.finish() } catch { throw statusBox.current ?? error }
    }

    /// Sends `bytes` on the stream without framing them (for tests that need malformed input).
    func sendRaw(_ bytes: [UInt8], endStream: Bool = false) async throws { try await sink.sendRaw(bytes, endStream: endStream) }

    /// Cancels the call: RST_STREAM(CANCEL); the status becomes `cancelled`.
    public func cancel() { sink.cancel() }

    /// The final status (waits for it). Never fails for RPC outcomes: they are the status.
    public var status: RPCStatus {
        get async throws { await statusBox.wait() }
    }

    /// The status if it already arrived.
    public var currentStatus: RPCStatus? { statusBox.current }
}

/// What both ``TransportClient`` and ``InProcessTransport`` offer applications.
public protocol RPCClient: Sendable {
    /// Starts an RPC on `path` with request `metadata` (e.g. `authorization`).
    func call(path: String, metadata: Metadata) async throws -> ClientCall
    /// One request message, one response message: returns the response payload.
    /// - Throws: the ``RPCStatus`` when it is not OK (or no response message came).
    func unary(path: String, metadata: Metadata, request: [UInt8]) async throws -> [UInt8]
}

extension RPCClient {
    /// One request message, one response message: returns the response payload.
    /// - Throws: the ``RPCStatus`` when it is not OK (or no response message came).
    public func unary(path: String, metadata: Metadata = [:], request: [UInt8]) async throws -> [UInt8] {
        let call = try await self.call(path: path, metadata: metadata)
        do {
            try await call.send(request)
            try await call.finish()
        } catch {
            let status = try await call.status
            throw status.code == .ok ? error : status
        }
        return try await Self.unaryResult(call)
    }

    /// The one response message of a finished-sending unary call, or its non-OK status.
    static func unaryResult(_ call: ClientCall) async throws -> [UInt8] {
        var response: [UInt8]?
        for try await m in call.responses where response == nil { response = m }
        let status = try await call.status
        guard status.code == .ok else { throw status }
        guard let response else { throw RPCStatus(.internal, "unary call ended OK without a response message") }
        return response
    }
}
