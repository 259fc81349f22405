// The learner's lease ledger: it owns the prompt cursor, hands prompts out as leases with
// deadlines, re-issues the prompt of a lease whose deadline passed, and accepts at most one
// submission per lease, so every prompt is trained on exactly once whatever the network does
// (duplicates, retries, late arrivals). A value type: checkpointed as JSON, and rebuilt after
// a crash by replaying `complete` for every group in the write-ahead log.

import Rollout

/// One work unit: a prompt to sample a group for.
package struct Lease: Codable, Sendable, Equatable {
    package var id: UInt64
    package var promptIndex: Int
    package var workerID: UInt64
    /// Policy version current when the lease was issued.
    package var version: PolicyVersion
    /// Deadline in seconds since 1970.
    package var deadline: Double
    /// 0 for the first issue of this prompt, 1 for the first re-issue, …
    package var attempt: Int
}

/// Why a submission for a lease is refused.
package enum LeaseRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The lease was trained already (a duplicate or retry of an accepted submission).
    case alreadyTrained(UInt64)
    /// The lease passed its deadline and its prompt was re-issued; this is a late arrival.
    case expired(UInt64)
    /// No such lease was ever issued (or it is older than the remembered history).
    case unknown(UInt64)
    /// The lease belongs to another worker.
    case wrongWorker(UInt64, owner: UInt64)

    package var description: String {
        switch self {
        case let .alreadyTrained(id): return "lease \(id) was already trained (duplicate submission)"
        case let .expired(id): return "lease \(id) passed its deadline and its prompt was re-issued (late submission)"
        case let .unknown(id): return "lease \(id) is unknown"
        case let .wrongWorker(id, owner): return "lease \(id) belongs to worker \(owner)"
        }
    }
}

/// Leases, prompt cursor and the retired-lease history.
package struct LeaseBook: Codable, Sendable, Equatable {
    package private(set) var nextLeaseID: UInt64 = 1
    /// Next fresh prompt index of the training stream.
    package private(set) var promptCursor: Int = 0
    package private(set) var outstanding: [UInt64: Lease] = [:]
    /// Prompts whose lease expired, waiting to be re-issued (oldest first), with their attempt count.
    package private(set) var reissueQueue: [Int] = []
    private var attempts: [Int: Int] = [:]
    /// Recently retired leases and why, to give a precise reason to late or repeated submissions.
    private var retired: [UInt64: Bool] = [:]   // true = trained, false = expired
    /// How many retired lease ids to remember.
    package var historyLimit: Int
    package private(set) var trainedCount: Int = 0
    package private(set) var expiredCount: Int = 0
    /// Prompts ahead of the cursor whose groups are already logged (leases issued after the
    /// restored checkpoint): the cursor skips them so they are never issued twice.
    private var skipPrompts: Set<Int> = []

    package init(historyLimit: Int = 1 << 20) { self.historyLimit = historyLimit }

    /// Issues up to `count` leases to `worker`: re-issued prompts first, then fresh ones.
    package mutating func issue(to worker: UInt64, count: Int, version: PolicyVersion, now: Double, duration: Double) -> [Lease] {
        var out: [Lease] = []
        for _ in 0..<max(0, count) {
            let prompt: Int
            if !reissueQueue.isEmpty {
                prompt = reissueQueue.removeFirst()
            } else {
                while skipPrompts.remove(promptCursor) != nil { promptCursor += 1 }
                prompt = promptCursor
                promptCursor += 1
            }
            let lease = Lease(id: nextLeaseID, promptIndex: prompt, workerID: worker, version: version,
                              deadline: now + duration, attempt: attempts[prompt, default: 0])
            nextLeaseID += 1
            outstanding[lease.id] = lease
            out.append(lease)
        }
        return out
    }

    /// Retires every outstanding lease whose deadline is before `now` and queues its prompt
    /// for re-issue. Returns the expired leases.
    @discardableResult
    package mutating func expire(now: Double) -> [Lease] {
        let gone = outstanding.values.filter { $0.deadline < now }.sorted { $0.id < $1.id }
        gone.forEach { retire($0) }
        return gone
    }

    /// Replays one logged (acknowledged) group after a restart. Its lease may be outstanding in
    /// the restored book (completed normally), or it may have been issued after the checkpoint
    /// the book came from: then it is recorded as trained, its prompt is never issued again,
    /// and lease ids continue past it.
    ///
    /// A prompt is re-issued only after its previous lease was retired, so a lease for the same
    /// prompt that is still outstanding in the restored book had expired (or was released) before
    /// the crash: it is retired here as it was then — not queued for re-issue, since its prompt
    /// is trained — so the book ends as it stood at the crash for every logged event.
    package mutating func restoreLogged(leaseID: UInt64, promptIndex: Int) {
        if outstanding[leaseID] != nil { _ = try? complete(leaseID, worker: nil); return }
        if retired[leaseID] == true { return }
        for earlier in outstanding.values where earlier.promptIndex == promptIndex {
            outstanding[earlier.id] = nil
            remember(earlier.id, trained: false)
            expiredCount += 1
        }
        attempts[promptIndex] = nil
        remember(leaseID, trained: true)
        trainedCount += 1
        nextLeaseID = max(nextLeaseID, leaseID + 1)
        if let i = reissueQueue.firstIndex(of: promptIndex) {
            reissueQueue.remove(at: i)
        } else if promptIndex >= promptCursor {
            skipPrompts.insert(promptIndex)
        }
    }

    /// The prompt of every outstanding lease (audits and tests).
    package var outstandingPrompts: [Int] { outstanding.values.map(\.promptIndex).sorted() }

    /// After a restart, leases issued before the crash but never logged may still be in
    /// workers' hands: new lease ids start in a fresh 2³² block so they can never collide
    /// (the old ones are `unknown_lease`, and their prompts are issued again).
    package mutating func startNewEpoch() {
        nextLeaseID = ((nextLeaseID >> 32) + 1) << 32
    }

    /// Retires every outstanding lease of `worker` now (it said goodbye) so its prompts are
    /// re-issued without waiting for the deadlines. Returns the released leases.
    @discardableResult
    package mutating func release(worker: UInt64) -> [Lease] {
        let mine = outstanding.values.filter { $0.workerID == worker }.sorted { $0.id < $1.id }
        mine.forEach { retire($0) }
        return mine
    }

    /// Retires an untrained lease and queues its prompt for re-issue.
    private mutating func retire(_ l: Lease) {
        outstanding[l.id] = nil
        remember(l.id, trained: false)
        attempts[l.promptIndex, default: 0] += 1
        reissueQueue.append(l.promptIndex)
        expiredCount += 1
    }

    /// Checks that a submission for `id` by `worker` would be accepted, without changing state.
    package func check(_ id: UInt64, worker: UInt64?) throws(LeaseRejection) -> Lease {
        if let l = outstanding[id] {
            if let worker, l.workerID != worker { throw .wrongWorker(id, owner: l.workerID) }
            return l
        }
        if let trained = retired[id] { throw trained ? .alreadyTrained(id) : .expired(id) }
        throw .unknown(id)
    }

    /// Marks lease `id` trained (its group was accepted). Throws the precise rejection otherwise.
    @discardableResult
    package mutating func complete(_ id: UInt64, worker: UInt64?) throws(LeaseRejection) -> Lease {
        let l = try check(id, worker: worker)
        outstanding[id] = nil
        attempts[l.promptIndex] = nil
        remember(id, trained: true)
        trainedCount += 1
        return l
    }

    private mutating func remember(_ id: UInt64, trained: Bool) {
        retired[id] = trained
        if retired.count > historyLimit + historyLimit / 4 {
            // Forget the oldest quarter (ids are monotonic).
            let cut = retired.keys.sorted()[retired.count - historyLimit]
            retired = retired.filter { $0.key >= cut }
        }
    }
}
