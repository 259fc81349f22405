// SIGTERM / SIGINT as an async event: the daemons shut down gracefully (stop taking work,
// checkpoint, GOAWAY) instead of dying mid-write.

import Dispatch
import Foundation

final class ShutdownSignal: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var fired = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        for s in signals {
            signal(s, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: s, queue: .global())
            src.setEventHandler { [weak self] in self?.fire() }
            src.resume()
            sources.append(src)
        }
    }

    func fire() {
        let w: [CheckedContinuation<Void, Never>] = lock.withLock {
            guard !fired else { return [] }
            fired = true
            defer { waiters = [] }
            return waiters
        }
        for c in w { c.resume() }
    }

    /// Makes ``wait()`` wait for the next signal again (after a programmatic ``fire()``).
    /// (One instance per process: a second DispatchSource for the same signal is not served.)
    func rearm() {
        lock.withLock { fired = false }
    }

    /// Returns when a signal arrived (or `fire()` was called).
    func wait() async {
        await withCheckedContinuation { c in
            let now: Bool = lock.withLock {
                if fired { return true }
                waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
