// ServerConnection+Memory: bounded response memory whatever the peer does (docs/transport.md
// "Bounded memory"). Response bytes queued per stream and per connection are capped
// (ServerConfiguration.maxQueuedBytesPerStream / maxQueuedBytesPerConnection): a message over
// a cap is refused, and new RPCs on a connection holding half its cap are refused before
// their handler runs. The queued total feeds the counters' gauge, and after a stalled
// peer's queues are dropped the allocator is trimmed so the memory goes back to the system.

import H2
import NIOCore
import Wire

extension ServerConnection {
    /// Queued bytes dropped at once (stalled streams reset, a stalled connection closed) above
    /// which freed heap memory is handed back to the system.
    static let trimThreshold = 8 << 20

    /// True when the response message of `need` bytes (prefix included) fits both caps.
    func queueAdmits(stream id: Int32, _ need: Int) -> Bool {
        session.queuedBytes(stream: id) + need <= config.maxQueuedBytesPerStream
            && session.totalQueuedBytes + need <= config.maxQueuedBytesPerConnection
    }

    /// True when new RPCs are refused before their handler runs: the connection already holds
    /// half its cap of unsent response bytes (its peer reads far slower than it asks).
    var refusesNewRPCs: Bool { session.totalQueuedBytes >= config.maxQueuedBytesPerConnection / 2 }

    /// Refuses a new RPC before its handler runs (``refusesNewRPCs``): trailers-only `resource_exhausted`.
    func refuseNewRPC(_ s: ServerStream) {
        underMemoryPressure = true
        reject(s, RPCStatus(.resourceExhausted, "too many response bytes queued for this peer (it is not reading)"), .outboundQueueFull)
    }

    /// A response message would take the stream's or the connection's queued bytes over its cap
    /// (a peer that does not read): before the response began, a trailers-only
    /// `resource_exhausted`; after, RST_STREAM(ENHANCE_YOUR_CALM), which drops the stream's
    /// queue (trailers would wait behind it). The writer's send fails either way.
    func refuseOverQueueCap(_ s: ServerStream) -> EventLoopFuture<Void> {
        let status = RPCStatus(.resourceExhausted, "too many response bytes queued for this peer (it is not reading)")
        counters.reject(.outboundQueueFull)
        abandon(s, status)
        if s.responseStarted {
            s.finished = true
            try? session.resetStream(s.id, errorCode: .enhanceYourCalm)
            scheduleFlush()
        } else {
            // The handler (or the immediate answer) counts the RPC's end itself.
            finishStream(s, status)
            s.discarding = true
        }
        // The refused message (and its siblings, produced at the same time) are freed now.
        underMemoryPressure = true
        scheduleTrim()
        return eventLoop.makeFailedFuture(status)
    }

    /// Brings this connection's share of the queued-bytes gauge up to date (at each tick).
    func reportQueued() {
        let queued = session.totalQueuedBytes
        if queued >= Self.trimThreshold { underMemoryPressure = true }
        let delta = queued - reportedQueued
        guard delta != 0 else { return }
        if -delta >= Self.trimThreshold { scheduleTrim() }
        reportedQueued = queued
        counters.update { $0.queuedOutboundBytes += delta }
    }

    /// Trims the allocator a second later, once the handlers of the dropped streams have let
    /// go of their buffers too, and again after 5 s for handlers that took longer to end (a
    /// thousand cancelled at once): glibc keeps freed blocks in its arenas otherwise (large
    /// queue buffers raise its mmap threshold), so RSS would stay near the attack's peak. At
    /// most one pair of trims per connection is pending.
    func scheduleTrim() {
        guard !trimPending else { return }
        trimPending = true
        eventLoop.scheduleTask(in: .seconds(1)) { releaseFreeHeapMemory() }
        eventLoop.scheduleTask(in: .seconds(5)) { [self] in
            trimPending = false
            releaseFreeHeapMemory()
        }
    }
}
