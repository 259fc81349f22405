// ConnectionManager: the timers and lifecycle of one server connection as a pure state
// machine (TRANSPORT.md "Limits", timers row). It never reads a clock or touches I/O:
// the channel handler reports events with the current time and calls `tick(now:)`,
// then carries out the returned actions. Tested on its own with a manual clock.

import H2

/// The timers of one connection (seconds). Defaults are TRANSPORT.md's.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// Our SETTINGS must be acknowledged within this. Default 10 s.
    public var settingsAck: Double = 10
    /// A header block, once begun, must be complete within this (trickled headers). Default 10 s.
    public var headerCompletion: Double = 10
    /// A connection without open streams is closed after this. Default 5 min.
    public var idle: Double = 300
    /// A stream on which no byte moved either way is reset after this (routes may override). Default 60 s.
    public var streamInactivity: Double = 60
    /// Connections are drained (GOAWAY) at this age. Default 30 min.
    public var maxAge: Double = 1800
    /// After a graceful GOAWAY, streams may run this long before the connection is closed. Default 30 s.
    public var maxAgeGrace: Double = 30
    /// A connection whose socket stays unwritable this long is closed (peer not reading), and a
    /// stream whose queued response bytes the peer's flow-control windows keep from leaving this
    /// long (a zero window never opened) is reset with ENHANCE_YOUR_CALM. Default 30 s.
    public var writeStall: Double = 30
    /// Between the shutdown notice and the final GOAWAY (one round trip, generously). Default 1 s.
    public var goAwayDelay: Double = 1
    public init() {}

    /// Checks every value is positive.
    public func validate() throws(TransportError) {
        let all = [("settingsAck", settingsAck), ("headerCompletion", headerCompletion), ("idle", idle),
                   ("streamInactivity", streamInactivity), ("maxAge", maxAge), ("maxAgeGrace", maxAgeGrace),
                   ("writeStall", writeStall), ("goAwayDelay", goAwayDelay)]
        for (name, v) in all where !(v > 0) {
            throw .invalidConfiguration("timeouts.\(name) must be positive, got \(v)")
        }
    }
}

/// What the connection must do now.
public enum ConnectionAction: Sendable, Equatable {
    /// Graceful shutdown, phase 1: GOAWAY with last stream 2^31-1.
    case sendShutdownNotice
    /// GOAWAY with this code (no new streams; `.noError` lets open streams finish).
    case sendGoAway(H2ErrorCode)
    /// RST_STREAM(CANCEL) on an inactive stream.
    case resetStream(Int32)
    /// RST_STREAM(ENHANCE_YOUR_CALM) on a stream whose response has been flow-control blocked
    /// for ``ConnectionTimeouts/writeStall`` (its queued bytes are dropped).
    case resetStalledStream(Int32)
    /// Close the socket now; the reason is counted (nil: a normal end).
    case close(TransportRejection?)
}

/// Lifecycle and timers of one connection.
public struct ConnectionManager: Sendable {
    /// The timers in force.
    public let timeouts: ConnectionTimeouts
    let startedAt: Double
    private(set) var settingsAcked = false
    private var headerBlockSince: Double?
    private var idleSince: Double?
    private var unwritableSince: Double?
    private var streams = StreamTable<(last: Double, timeout: Double)>()
    /// Streams whose queued response bytes the peer's windows hold back, and since when.
    private var blockedSince = StreamTable<Double>()
    /// Graceful drain: when it began, when the final GOAWAY went out, when to force-close, why.
    private var drainStarted: Double?
    private var finalGoAwaySent = false
    private var drainDeadline = Double.infinity
    private var drainReason: TransportRejection?
    /// True once a close action was returned (or ``closed()`` was called).
    public private(set) var isClosed = false

    /// A manager for a connection accepted at `now` (SETTINGS sent, no stream yet).
    public init(timeouts: ConnectionTimeouts, now: Double) {
        self.timeouts = timeouts
        self.startedAt = now
        self.idleSince = now
    }

    /// Streams being tracked (open).
    public var openStreams: Int { streams.count }
    /// True once a graceful drain began.
    public var isDraining: Bool { drainStarted != nil }

    /// The peer acknowledged our SETTINGS (stops the SETTINGS-ACK timer).
    public mutating func settingsAcknowledged() { settingsAcked = true }

    /// Reports whether a header block is partially received (from `FrameScanner`).
    public mutating func headerBlock(pending: Bool, now: Double) {
        if !pending { headerBlockSince = nil } else if headerBlockSince == nil { headerBlockSince = now }
    }

    /// A stream opened; `timeout` overrides the default inactivity timeout (per route).
    public mutating func streamOpened(_ id: Int32, timeout: Double? = nil, now: Double) {
        streams[id] = (now, timeout ?? timeouts.streamInactivity)
        idleSince = nil
    }

    /// Bytes moved on the stream (request data read, or its response queue drained).
    public mutating func streamActivity(_ id: Int32, now: Double) {
        streams.withValue(id) { $0.last = now }   // closure, not the subscript's coroutine: no allocation
    }

    /// A stream closed; the idle timer starts when none is left.
    public mutating func streamClosed(_ id: Int32, now: Double) {
        _ = blockedSince.removeValue(forKey: id)
        guard streams.removeValue(forKey: id) != nil else { return }
        if streams.isEmpty { idleSince = now }
    }

    /// Whether `id` has response bytes queued that the peer's flow-control windows keep from
    /// leaving (stream write-stall timer). Reported at each tick; any window opening clears it.
    public mutating func flowControl(_ id: Int32, blocked: Bool, now: Double) {
        if !blocked { _ = blockedSince.removeValue(forKey: id) }
        else if blockedSince[id] == nil && streams[id] != nil { blockedSince[id] = now }
    }

    /// Streams currently flow-control blocked.
    public var blockedStreams: Int { blockedSince.count }

    /// The socket became writable or unwritable (write-stall timer).
    public mutating func writability(_ writable: Bool, now: Double) {
        if writable { unwritableSince = nil } else if unwritableSince == nil { unwritableSince = now }
    }

    /// Starts a graceful drain (server shutdown, or max age): notice, GOAWAY, close when streams end or at `now + grace`.
    public mutating func beginDrain(now: Double, grace: Double, reason: TransportRejection?) -> [ConnectionAction] {
        guard drainStarted == nil, !isClosed else { return [] }
        drainStarted = now
        drainDeadline = now + grace
        drainReason = reason
        return [.sendShutdownNotice]
    }

    /// The connection closed for any reason; later ticks do nothing.
    public mutating func closed() { isClosed = true }

    /// Evaluates every timer at `now`.
    public mutating func tick(now: Double) -> [ConnectionAction] {
        guard !isClosed else { return [] }
        if let since = unwritableSince, now - since >= timeouts.writeStall {
            return finish([.close(.writeStall)])
        }
        if !settingsAcked && now - startedAt >= timeouts.settingsAck {
            return finish([.sendGoAway(.settingsTimeout), .close(.settingsTimeout)])
        }
        if let since = headerBlockSince, now - since >= timeouts.headerCompletion {
            return finish([.sendGoAway(.enhanceYourCalm), .close(.headerTimeout)])
        }
        var actions: [ConnectionAction] = []
        if let started = drainStarted {
            if !finalGoAwaySent && now - started >= timeouts.goAwayDelay {
                finalGoAwaySent = true
                actions.append(.sendGoAway(.noError))
            }
            if (finalGoAwaySent && streams.isEmpty) || now >= drainDeadline {
                return finish(actions + [.close(now >= drainDeadline ? drainReason : nil)])
            }
        } else if now - startedAt >= timeouts.maxAge {
            actions += beginDrain(now: now, grace: timeouts.maxAgeGrace, reason: .maxAge)
        } else if let since = idleSince, now - since >= timeouts.idle {
            return finish([.sendGoAway(.noError), .close(.idleTimeout)])
        }
        for (id, since) in blockedSince.entries.sorted(by: { $0.key < $1.key }) where now - since >= timeouts.writeStall {
            blockedSince[id] = nil
            streams[id] = nil
            actions.append(.resetStalledStream(id))
            if streams.isEmpty { idleSince = now }
        }
        for (id, s) in streams.entries.sorted(by: { $0.key < $1.key }) where now - s.last >= s.timeout {
            streams[id] = nil
            actions.append(.resetStream(id))
            if streams.isEmpty { idleSince = now }
        }
        return actions
    }

    private mutating func finish(_ actions: [ConnectionAction]) -> [ConnectionAction] {
        isClosed = true
        return actions
    }
}

/// Follows HTTP/2 frame boundaries in the inbound byte stream (without decoding) to tell
/// whether a header block is partially received — the input of the header-completion timer.
struct FrameScanner {
    private var prefaceLeft: Int
    private var header: [UInt8] = []
    private var payloadLeft = 0
    private var type: UInt8 = 0
    private var endsHeaders = false
    /// True from a HEADERS/PUSH_PROMISE frame header until the end of the frame that has END_HEADERS.
    private(set) var inHeaderBlock = false

    init(skipPreface: Bool) { prefaceLeft = skipPreface ? 24 : 0 }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        if prefaceLeft > 0 {
            let k = min(prefaceLeft, n)
            prefaceLeft -= k
            i = k
        }
        while i < n {
            if payloadLeft > 0 {
                let k = min(payloadLeft, n - i)
                payloadLeft -= k
                i += k
                if payloadLeft == 0 { frameDone() }
                continue
            }
            header.append(bytes[i])
            i += 1
            guard header.count == 9 else { continue }
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            type = header[3]
            let flags = header[4]
            header.removeAll(keepingCapacity: true)
            switch type {
            case 0x1, 0x5: inHeaderBlock = true; endsHeaders = flags & 0x4 != 0
            case 0x9: endsHeaders = flags & 0x4 != 0
            default: endsHeaders = false
            }
            payloadLeft = length
            if length == 0 { frameDone() }
        }
    }

    private mutating func frameDone() {
        if endsHeaders && (type == 0x1 || type == 0x5 || type == 0x9) { inHeaderBlock = false }
        endsHeaders = false
    }
}
