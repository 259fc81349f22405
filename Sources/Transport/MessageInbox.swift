// MessageInbox: the hand-off of deframed messages from an event loop to one async
// consumer. Bounded by HTTP/2 flow control, not by itself: the producer learns of
// every take through `onTake` and only then returns window credit (TRANSPORT.md
// "Event loop and back-pressure": the peer's window follows real consumption).

import Synchronization
import Wire

/// A single-consumer queue of message payloads that ends with success or an ``RPCStatus``.
final class MessageInbox: @unchecked Sendable {
    /// Inline mutex (no separate allocation per inbox, unlike NIOLock).
    private let lock = Mutex<Void>(())
    /// The oldest untaken message when it is the only one (the common one-message request):
    /// kept out of `buffer` so a unary RPC allocates no queue.
    private var first: [UInt8]?
    private var buffer: [[UInt8]] = []
    private var head = 0
    /// nil while open; `.success` after a clean end; `.failure` after an error.
    private var end: Result<Void, RPCStatus>?
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    /// Called (outside the lock) with the payload size of each message the consumer takes.
    let onTake: @Sendable (Int) -> Void

    init(onTake: @escaping @Sendable (Int) -> Void = { _ in }) { self.onTake = onTake }

    /// Adds a message (ignored after the end).
    func push(_ message: [UInt8]) {
        let w: CheckedContinuation<[UInt8]?, any Error>? = lock.withLock { _ in
            guard end == nil else { return nil }
            if let w = waiter { waiter = nil; return w }
            if first == nil && head == buffer.count { first = message } else { buffer.append(message) }
            return nil
        }
        if let w {
            w.resume(returning: message)
            onTake(message.count)
        }
    }

    /// Ends the sequence: buffered messages are still delivered, then nil or the error —
    /// except that with `discard` an error drops buffered messages (the stream is dead).
    func finish(_ result: Result<Void, RPCStatus>, discard: Bool = true) {
        let w: CheckedContinuation<[UInt8]?, any Error>? = lock.withLock { _ in
            guard end == nil else { return nil }
            end = result
            if case .failure = result, discard { first = nil; buffer = []; head = 0 }
            let w = waiter
            waiter = nil
            return w
        }
        if let w {
            switch result {
            case .success: w.resume(returning: nil)
            case .failure(let e): w.resume(throwing: e)
            }
        }
    }

    /// Messages pushed and not yet taken.
    var pending: Int { lock.withLock { _ in (first == nil ? 0 : 1) + buffer.count - head } }

    /// True once finished (cleanly or not).
    var isFinished: Bool { lock.withLock { _ in end != nil } }

    /// The next message, nil at a clean end; throws the ending ``RPCStatus`` or `cancelled`
    /// when the waiting task is cancelled.
    func next() async throws -> [UInt8]? {
        if let ready = try takeReady() { return ready.message }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8]?, any Error>) in
                let immediate: Result<[UInt8]?, any Error>? = lock.withLock { _ in
                    if hasReadyLocked { return .success(popLocked()) }
                    switch end {
                    case .success?: return .success(nil)
                    case .failure(let e)?: return .failure(e)
                    case nil: break
                    }
                    if Task.isCancelled { return .failure(RPCStatus(.cancelled, "the waiting task was cancelled")) }
                    waiter = c
                    return nil
                }
                if let immediate {
                    if case .success(let m?) = immediate { onTake(m.count) }
                    c.resume(with: immediate)
                }
            }
        } onCancel: {
            let w = lock.withLock { _ -> CheckedContinuation<[UInt8]?, any Error>? in
                defer { waiter = nil }
                return waiter
            }
            w?.resume(throwing: RPCStatus(.cancelled, "the waiting task was cancelled"))
        }
    }

    private func takeReady() throws -> (message: [UInt8]?, Void)? {
        let r: Result<[UInt8]?, RPCStatus>? = lock.withLock { _ in
            if hasReadyLocked { return .success(popLocked()) }
            switch end {
            case .success?: return .success(nil)
            case .failure(let e)?: return .failure(e)
            case nil: return nil
            }
        }
        guard let r else { return nil }
        let m = try r.get()
        if let m { onTake(m.count) }
        return (m, ())
    }

    /// Up to `max` messages that have already arrived, without waiting (none at the end).
    func takeAvailable(max: Int) -> [[UInt8]] {
        let taken: [[UInt8]] = lock.withLock { _ in
            var out: [[UInt8]] = []
            while out.count < max && hasReadyLocked { out.append(popLocked()) }
            return out
        }
        for m in taken { onTake(m.count) }
        return taken
    }

    private var hasReadyLocked: Bool { first != nil || head < buffer.count }

    private func popLocked() -> [UInt8] {
        if let f = first { first = nil; return f }
        let m = buffer[head]
        buffer[head] = []
        head += 1
        if head == buffer.count { buffer.removeAll(keepingCapacity: true); head = 0 }
        return m
    }
}

/// The request or response messages of one RPC, as an async sequence of payloads.
/// Iterate once. Ends normally when the peer ended its side; throws an ``RPCStatus`` when the
/// stream failed (framing error: `invalidArgument`/`resourceExhausted`; peer reset: `cancelled`).
public struct RPCMessages: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let inbox: MessageInbox

    public struct AsyncIterator: AsyncIteratorProtocol {
        let inbox: MessageInbox
        public mutating func next() async throws -> [UInt8]? { try await inbox.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: inbox) }

    /// The next message, or nil at the end.
    public func next() async throws -> [UInt8]? { try await inbox.next() }

    /// Up to `max` messages that have already arrived, without waiting: an empty array when
    /// none is ready (the end of the stream and its errors are reported by ``next()``). For
    /// handlers that process whatever is queued as one batch (e.g. one fsync for several).
    public func available(max: Int) -> [[UInt8]] { inbox.takeAvailable(max: max) }
}
