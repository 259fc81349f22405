// The callers the ingest actor holds suspended, and when each is woken: submitters waiting for
// buffer space, the trainer waiting for a batch, and lease requests held open (the long poll,
// with a timer on the learner's clock). A value type of continuations; every wake-up rule of
// ingestion is here, so the actor's methods only say what happened.

/// Suspended callers of `IngestState`.
struct IngestWaiters: Sendable {
    /// Submitters waiting for the buffer to have room.
    private var space: [CheckedContinuation<Void, Never>] = []
    /// The trainer, waiting until `count` groups are buffered.
    private var batch: (count: Int, cont: CheckedContinuation<Void, Never>)?
    /// Lease requests held open until work may exist (`IngestState.waitForWork`).
    private var work: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWork: UInt64 = 0

    var waitingForWork: Int { work.count }

    mutating func addSpace(_ c: CheckedContinuation<Void, Never>) { space.append(c) }

    /// Space was freed (a batch was taken) or the learner is shutting down.
    mutating func wakeSpace() {
        let s = space
        space = []
        for c in s { c.resume() }
    }

    mutating func setBatch(count: Int, _ c: CheckedContinuation<Void, Never>) { batch = (count, c) }

    /// Wakes the trainer when `buffered` groups are enough for it, or at shutdown.
    mutating func wakeBatch(buffered: Int, shuttingDown: Bool) {
        if let w = batch, buffered >= w.count || shuttingDown {
            batch = nil
            w.cont.resume()
        }
    }

    /// A new id for a lease request about to wait.
    mutating func nextWorkID() -> UInt64 {
        defer { nextWork += 1 }
        return nextWork
    }

    mutating func addWork(_ id: UInt64, _ c: CheckedContinuation<Void, Never>) { work[id] = c }

    /// One lease request's poll ran out.
    mutating func wakeWork(_ id: UInt64) { work.removeValue(forKey: id)?.resume() }

    /// Work may exist now: capacity was freed, a version was published or kept, leases were
    /// released, or the learner is shutting down. Every held request asks again.
    mutating func wakeAllWork() {
        let w = work
        work = [:]
        for c in w.values { c.resume() }
    }
}
