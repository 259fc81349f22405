// H2ChannelHandler: the shared NIO side of an H2Session (server and client subclass it).
// Plaintext in → `feed` → a batch of H2Events; frames out → one write and one flush per
// read batch or per event-loop tick of application writes, never per frame. Reading is
// paused (the `read` event is held) while the channel is unwritable or nghttp2's own
// outbound queue is long (TRANSPORT.md "Event loop and back-pressure").

import H2
import NIOCore

/// Monotonic seconds.
@inline(__always) func monotonicNow() -> Double { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }

class H2ChannelHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    let session: H2Session
    let eventLoop: EventLoop
    var context: ChannelHandlerContext?
    private var pendingRead = false
    private var flushScheduled = false
    /// Held reads resume when nghttp2's control-frame queue is shorter than this.
    var maxOutboundFrames = 1000
    private(set) var isClosed = false

    init(session: H2Session, eventLoop: EventLoop) {
        self.session = session
        self.eventLoop = eventLoop
    }

    // MARK: hooks for subclasses

    /// A batch of events from one `feed` (or from a drain: `writable`).
    func handle(events: [H2Event]) {}
    /// The connection is gone: fail every stream.
    func connectionClosed() {}
    /// A fatal H2 error (flood, bad preface…) just closed the connection.
    func fatal(_ error: H2Error) {}
    /// After every feed and drain (server: notices the session ending itself).
    func afterIO() {}
    /// Counts bytes in/out.
    func countBytes(read: Int, written: Int) {}
    /// Called after each inbound chunk with the raw bytes (server: frame scanner).
    func scanInbound(_ bytes: UnsafeRawBufferPointer) {}

    // MARK: NIO

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        drainAndFlush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !isClosed {
            isClosed = true
            connectionClosed()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        let buffer = unwrapInboundIn(data)
        countBytes(read: buffer.readableBytes, written: 0)
        let result: Result<[H2Event], H2Error> = buffer.withUnsafeReadableBytes { raw in
            scanInbound(raw)
            do throws(H2Error) { return .success(try session.feed(raw)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let events):
            if !events.isEmpty { handle(events: events) }
            afterIO()
        case .failure(let error):
            let events = session.takeEvents()
            if !events.isEmpty { handle(events: events) }
            fatal(error)
            drainAndFlush(force: true)
            close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A flush already scheduled for this tick will write everything (and after the handler
        // tasks this read started, when they run on this loop): one write per read batch.
        if !flushScheduled { drainAndFlush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writabilityChanged(context.channel.isWritable)
        if context.channel.isWritable { drainAndFlush() }
        resumeReadingIfPossible()
        context.fireChannelWritabilityChanged()
    }

    /// Hook: the socket's writability changed (server: write-stall timer).
    func writabilityChanged(_ writable: Bool) {}

    func read(context: ChannelHandlerContext) {
        if shouldPauseReading { pendingRead = true } else { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close()
    }

    private var shouldPauseReading: Bool {
        guard let context else { return false }
        return !context.channel.isWritable || session.nghttp2OutboundFrames > maxOutboundFrames
    }

    func resumeReadingIfPossible() {
        guard pendingRead, !shouldPauseReading, let context else { return }
        pendingRead = false
        context.read()
    }

    // MARK: output

    /// Coalesces application writes made during this event-loop tick into one drain + flush.
    /// The flush is queued behind one more hop, so that handler tasks started on this loop
    /// during the read (queued before it) have answered by the time it writes.
    func scheduleFlush() {
        guard !flushScheduled, !isClosed else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            eventLoop.execute { [self] in
                flushScheduled = false
                drainAndFlush()
            }
        }
    }

    /// Serialises every ready frame into one buffer, writes and flushes it. While the channel is
    /// unwritable frames stay inside nghttp2 (bounded by the per-stream watermarks) unless `force`.
    func drainAndFlush(force: Bool = false) {
        guard let context, !isClosed || force else { return }
        if !force && !context.channel.isWritable { return }
        // Sized for what can go out now (queued bytes the peer's connection window admits,
        // capped), so a large drain does not grow by doubling and a stalled peer's queue does
        // not cost a large buffer per flush.
        var output = context.channel.allocator.buffer(capacity: min(session.sendableQueuedBytes, 4 << 20) + 1024)
        do {
            try session.drainOutput { bytes in output.writeBytes(bytes) }
        } catch {
            fatal(error)
            isClosed = true
            context.close(promise: nil)
            return
        }
        if output.readableBytes > 0 {
            countBytes(read: 0, written: output.readableBytes)
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        }
        let events = session.takeEvents()
        if !events.isEmpty { handle(events: events) }
        afterIO()
        resumeReadingIfPossible()
        if !session.wantsRead && !session.wantsWrite { close() }
    }

    /// Closes the channel (after whatever was written).
    func close() {
        guard let context else { return }
        context.close(promise: nil)
    }
}
