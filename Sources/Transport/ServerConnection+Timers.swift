// ServerConnection+Timers: the connection's timers on the event loop. Every tick reports
// stream progress and flow-control stalls to the ConnectionManager (a pure state machine),
// updates the queued-bytes gauge, then carries out the actions it returns (GOAWAY, stream
// resets, close).

import H2
import NIOCore
import Wire

extension ServerConnection {
    /// Evaluates every timer (each `tickInterval`): stream progress and flow-control stalls go to
    /// the manager first, then its actions are carried out.
    func tick() {
        let now = monotonicNow()
        for s in streams.values {
            // Progress since the last tick: response bytes went out. A window-limited transfer
            // (a slow link) progresses; a peer that never opens its window does not.
            let sent = session.sentBytes(stream: s.id)
            let progressed = sent > s.lastSent
            s.lastSent = sent
            manager.flowControl(s.id, blocked: !progressed && session.isFlowControlBlocked(stream: s.id), now: now)
            if progressed { manager.streamActivity(s.id, now: now) }   // finished ones still draining too
        }
        reportQueued()
        apply(manager.tick(now: now))
        reportQueued()
    }

    /// Server shutdown: graceful GOAWAY now, close after the streams end or `grace` seconds.
    func beginDrain(grace: Double) {
        apply(manager.beginDrain(now: monotonicNow(), grace: grace, reason: .shuttingDown))
    }

    func apply(_ actions: [ConnectionAction]) {
        guard !actions.isEmpty else { return }
        for action in actions {
            switch action {
            case .sendShutdownNotice:
                try? session.sendShutdownNotice()
            case .sendGoAway(let code):
                if code == .noError { try? session.goAway(errorCode: .noError) } else { session.terminate(errorCode: code) }
            case .resetStream(let id):
                counters.reject(.streamInactive)
                if let s = streams[id] { abandon(s, RPCStatus(.deadlineExceeded, "stream inactive")) }
                try? session.resetStream(id, errorCode: .cancel)
            case .resetStalledStream(let id):
                counters.reject(.streamStalled)
                if let s = streams[id] {
                    abandon(s, RPCStatus(.resourceExhausted, "the peer's flow-control window stayed closed"))
                    s.finished = true
                }
                try? session.resetStream(id, errorCode: .enhanceYourCalm)
            case .close(let reason):
                if let reason { counters.reject(reason) }
                drainAndFlush(force: true)
                close()
                return
            }
        }
        scheduleFlush()
    }
}
