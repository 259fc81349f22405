// JobThread: one named thread that runs queued jobs one at a time, in order. For work that
// must stay off Swift's cooperative pool: CPU-bound sampling and evaluation (they would hold
// one of its few threads for milliseconds) and fsync'd publishing. The worker's sampler, the
// learner's publisher and its background evaluator are built on it.

import Foundation

public final class JobThread: @unchecked Sendable {
    private let cond = NSCondition()
    private var jobs: [() -> Void] = []
    private var busy = false
    private var closed = false
    /// The thread's OS identity, set first thing when it starts.
    private var osThread: pthread_t?

    /// Starts the thread. `name` should be at most 15 bytes: Linux keeps a thread name only so
    /// long, and only when the thread sets it itself (it does, first thing).
    public init(name: String, stackSize: Int? = nil) {
        let t = Thread { [self] in
            Thread.current.name = name
            cond.lock(); osThread = pthread_self(); cond.broadcast(); cond.unlock()
            loop()
        }
        if let stackSize { t.stackSize = stackSize }
        t.start()
    }

    /// Whether the caller is this thread (what a job sees; a name is not proof: Foundation on
    /// Linux sometimes reports the name the thread inherited from its creator).
    public var isCurrent: Bool {
        cond.lock(); defer { cond.unlock() }
        guard let t = osThread else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    /// Queues `job`. Returns false, and drops it, once ``close()`` was called.
    @discardableResult
    public func submit(_ job: @escaping () -> Void) -> Bool {
        cond.lock(); defer { cond.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        cond.broadcast()
        return true
    }

    /// Waits until every job queued so far has run.
    public func waitUntilIdle() {
        cond.lock(); defer { cond.unlock() }
        while !jobs.isEmpty || busy { cond.wait() }
    }

    /// Ends the thread after the jobs already queued.
    public func close() {
        cond.lock(); closed = true; cond.broadcast(); cond.unlock()
    }

    private func loop() {
        while true {
            cond.lock()
            while jobs.isEmpty && !closed { cond.wait() }
            if jobs.isEmpty { cond.unlock(); return }
            let job = jobs.removeFirst()
            busy = true
            cond.unlock()
            job()
            cond.lock(); busy = false; cond.broadcast(); cond.unlock()
        }
    }
}
