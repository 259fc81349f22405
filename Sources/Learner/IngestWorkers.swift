// Worker identity on the ingest actor (PROTOCOL.md §3): registration binds a worker id to
// the bearer token that registered it; every later call naming the id is checked, and an id
// that was never issued, said goodbye, went idle or is used with another token is NOT_FOUND
// (counted). The bookkeeping is `WorkerRegistry`; this is the actor's face of it.

import Wire

extension IngestState {
    /// Registers a worker; its id is bound to `token` (the bearer token of the `/Register` call,
    /// nil in process): later calls naming the id must carry the same token.
    package func register(name: String, address: String, token: String? = nil) -> UInt64 {
        registry.register(name: name, address: address, token: token, now: clock.now())
    }

    /// How long a worker may make no request before its id is retired (PROTOCOL.md §3).
    package var workerIdleLimit: Double { registry.idleLimit }

    /// The id the next registration gets.
    package var workerIDFloor: UInt64 { registry.nextID }

    /// Per-worker figures of /status.
    package var workers: [UInt64: WorkerInfo] { registry.workers }

    /// Checks that `id` names a live worker registered with `token`, else the NOT_FOUND status
    /// to answer (counted in `unknownWorkerRequests`). An id is unknown when it was never
    /// issued by this process (or predates a restart), after its Goodbye, after
    /// `workerIdleLimit` without a request (its leases are released then), and to any other
    /// token than the one that registered it — so ids cannot be used or probed across tokens.
    package func checkWorker(_ id: UInt64, token: String?) -> RPCStatus? {
        let now = clock.now()
        if registry.isIdle(id, now: now) { goodbye(worker: id) }
        if registry.authenticate(id, token: token, now: now) { return nil }
        counters.unknownWorkerRequests += 1
        return RPCStatus(.notFound, "worker id \(id) is not registered (never, or it said goodbye, went idle, or the learner restarted): register again")
    }

    /// A worker left (`/Goodbye`) or went idle: its leases are re-issued now.
    package func goodbye(worker: UInt64) {
        let released = leases.release(worker: worker)
        counters.leasesExpired += released.count
        registry.remove(worker)
        if !released.isEmpty { waiters.wakeAllWork() }
    }
}
