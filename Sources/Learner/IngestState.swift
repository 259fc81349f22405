// The learner's ingestion side, one actor: workers, leases, admission, the write-ahead log,
// the bounded buffer of accepted groups, and policy announcements. Every call is short; the
// training loop runs elsewhere (TrainingLoop) and meets this actor only to take a batch and
// to publish a version, so publishing never stalls ingestion.

import Foundation
import Objectives
import Tasks
import Wire

/// A group accepted for training, with its write-ahead-log sequence number.
public struct BufferedGroup: Sendable {
    public var sequence: UInt64
    public var group: RolloutGroup
}

/// Per-worker bookkeeping for the status endpoint.
public struct WorkerInfo: Codable, Sendable {
    public var id: UInt64
    public var name: String
    public var address: String
    public var lastSeen: Double
    public var leasesHeld: Int
    public var groupsSubmitted: Int
    public var versionInUse: Int?
}

/// Counters for /status and /metrics.
public struct IngestCounters: Codable, Sendable {
    public var accepted = 0
    public var rejected: [String: Int] = [:]
    public var leasesIssued = 0
    public var leasesExpired = 0
    public var stalenessHistogram: [Int: Int] = [:]
    public var bytesReceived = 0
    /// fsyncs of the write-ahead log for accepted groups (one per submitted batch, not per group).
    public var walSyncs = 0
    /// Requests refused with NOT_FOUND because their worker id was never registered, said
    /// goodbye, went idle, belongs to another token, or predates a restart.
    public var unknownWorkerRequests = 0
}

public actor IngestState {
    public let config: LearnerConfig
    public let task: any VerifiableTask
    let admission: AdmissionPolicy
    private let wal: WriteAheadLog
    public private(set) var leases: LeaseBook
    public private(set) var version: Int
    public private(set) var buffer: [BufferedGroup] = []
    public internal(set) var counters = IngestCounters()
    /// Groups handed to training since the state directory was created (restored from the
    /// checkpoint's `groupsTrained`). At every moment `groupsTaken + buffer.count ==
    /// leases.trainedCount`: each completed lease's group is either buffered or taken.
    public private(set) var groupsTaken: Int
    public internal(set) var workers: [UInt64: WorkerInfo] = [:]
    public private(set) var store = PolicyStore()
    var nextWorkerID: UInt64
    /// SHA-256 of the bearer token each worker registered with (empty: no token, in process).
    var workerTokens: [UInt64: [UInt8]] = [:]
    /// Accepted groups and bytes of the last seconds, for the ingest rates of /status.
    var rate = IngestRate()
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var batchWaiter: (count: Int, cont: CheckedContinuation<Void, Never>)?
    private var watchers: [UUID: AsyncStream<PolicyAnnouncement>.Continuation] = [:]
    /// Lease requests held open until work may exist (long poll; `waitForWork`).
    private var workWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWorkWaiter: UInt64 = 0
    /// Sync mode: a batch was taken and its version is not published yet, so no lease may be
    /// issued (it would be sampled with the version being replaced).
    private var batchInTraining = false
    private var shuttingDown = false
    let now: @Sendable () -> Double
    /// Reward components of the accepted groups (RewardComponents.swift).
    public nonisolated let rewards = RewardComponentBook()

    public init(config: LearnerConfig, task: any VerifiableTask, vocabSize: Int, wal: WriteAheadLog, leases: LeaseBook,
                version: Int, nextWorkerID: UInt64 = 1, groupsTaken: Int = 0, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.config = config
        self.task = task
        self.wal = wal
        self.leases = leases
        self.version = version
        self.nextWorkerID = nextWorkerID
        self.groupsTaken = groupsTaken
        self.now = now
        admission = AdmissionPolicy(groupSize: config.groupSize, vocabSize: vocabSize,
                                    maxCompletionTokens: task.maxCompletionTokens, stalenessCap: config.stalenessCap)
    }

    // MARK: workers and leases

    public var workerIDFloor: UInt64 { nextWorkerID }

    /// Issues up to `max` work units. In sync mode only enough for the current version's batch.
    public func lease(worker: UInt64, max requested: Int, workerVersion: Int?) -> [WorkUnit] {
        expireLeases()
        touch(worker, version: workerVersion)
        guard !shuttingDown else { return [] }
        var count = min(requested, config.maxPromptsPerLease)
        if config.sync {
            // Synchronous mode: exactly one batch of prompts per version, all sampled with it.
            count = min(count, config.groupsPerStep - buffer.count - leases.outstanding.count)
            if batchInTraining { count = 0 }
            if let v = workerVersion, v != version { count = 0 }
        } else {
            count = min(count, config.bufferCapacity - buffer.count - leases.outstanding.count)
        }
        guard count > 0 else { return [] }
        let issued = leases.issue(to: worker, count: count, version: version, now: now(), duration: config.leaseSeconds)
        counters.leasesIssued += issued.count
        workers[worker]?.leasesHeld += issued.count
        return issued.map { l in
            let p = task.prompt(seed: config.seed, index: l.promptIndex, split: .train)
            return WorkUnit(leaseId: l.id, promptIndex: UInt64(l.promptIndex), promptTokens: p.tokens.map(Int32.init),
                            groupSize: UInt32(config.groupSize), temperature: config.temperature, topK: UInt32(config.topK),
                            maxCompletionTokens: UInt32(task.maxCompletionTokens), policyVersion: UInt64(version),
                            deadlineUnixMs: UInt64(l.deadline * 1000))
        }
    }

    /// Whether a lease request that got nothing should wait for work rather than answer at
    /// once: not when shutting down, nor in sync mode for a worker whose policy is not the
    /// current one (it must fetch the new version first; its announcement is on the way).
    public func worthWaitingForWork(workerVersion: Int?) -> Bool {
        guard !shuttingDown else { return false }
        if config.sync, let v = workerVersion, v != version, !batchInTraining { return false }
        return true
    }

    /// Suspends a lease request that got nothing until work may exist — a batch was taken
    /// (capacity freed), a version was published, leases were released, or shutdown — or
    /// until `timeout` seconds pass. The caller then asks again.
    public func waitForWork(timeout: Double) async {
        guard !shuttingDown, timeout > 0 else { return }
        let id = nextWorkWaiter
        nextWorkWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            await self?.wakeWorkWaiter(id)
        }
        await withCheckedContinuation { workWaiters[id] = $0 }
        timer.cancel()
    }

    private func wakeWorkWaiter(_ id: UInt64) { workWaiters.removeValue(forKey: id)?.resume() }

    private func wakeWorkWaiters() {
        let waiters = workWaiters
        workWaiters = [:]
        for w in waiters.values { w.resume() }
    }

    /// A worker left (`/Goodbye`): its leases are re-issued now.
    public func goodbye(worker: UInt64) {
        let released = leases.release(worker: worker)
        counters.leasesExpired += released.count
        workers[worker] = nil
        workerTokens[worker] = nil
        if !released.isEmpty { wakeWorkWaiters() }
    }

    func expireLeases() {
        let gone = leases.expire(now: now())
        counters.leasesExpired += gone.count
        for l in gone { workers[l.workerID]?.leasesHeld -= 1 }
    }

    private func touch(_ worker: UInt64, version: Int?) {
        workers[worker]?.lastSeen = now()
        if let version { workers[worker]?.versionInUse = version }
    }

    // MARK: submissions

    /// Validates, logs durably and buffers one group; the ack means "on disk". Waits while the
    /// buffer is full (back-pressure reaches the worker through HTTP/2 flow control).
    public func submit(_ group: TrajectoryGroup, from worker: UInt64?) async -> SubmitAck {
        await submit([group], from: worker)[0]
    }

    /// Validates, logs durably and buffers `groups`, one ack per group in order. The groups
    /// that fit the buffer are admitted together and logged with one fsync (group commit):
    /// every ack still means "on disk". Waits while the buffer is full.
    public func submit(_ groups: [TrajectoryGroup], from worker: UInt64?) async -> [SubmitAck] {
        var acks: [SubmitAck] = []
        acks.reserveCapacity(groups.count)
        var next = 0
        while next < groups.count {
            while buffer.count >= config.bufferCapacity && !shuttingDown {
                await withCheckedContinuation { spaceWaiters.append($0) }
            }
            // No suspension from here to the end of the round: admission, the log append and
            // the buffer see one consistent state.
            let room = shuttingDown ? groups.count - next : max(1, config.bufferCapacity - buffer.count)
            let round = groups[next..<min(groups.count, next + room)]
            next = round.endIndex
            acks += admitAndLog(round, from: worker)
        }
        return acks
    }

    /// One round of `submit`: admission of each group, one log append for the admitted ones,
    /// then their leases, counters and buffer entries.
    private func admitAndLog(_ round: ArraySlice<TrajectoryGroup>, from worker: UInt64?) -> [SubmitAck] {
        if let w = worker, let last = round.last { touch(w, version: Int(last.policyVersion)) }
        func reject(_ group: TrajectoryGroup, _ r: Rejection) -> SubmitAck {
            counters.rejected[r.reason.name, default: 0] += 1
            return SubmitAck(leaseId: group.leaseId, outcome: .rejected(r.reason, message: r.message),
                             learnerVersion: UInt64(version), bufferedCount: UInt32(buffer.count))
        }
        if shuttingDown {
            return round.map { reject($0, Rejection(.shuttingDown, "the learner is shutting down; the lease will be re-issued")) }
        }
        expireLeases()
        var acks: [SubmitAck?] = Array(repeating: nil, count: round.count)
        var admitted: [(slot: Int, group: TrajectoryGroup, owner: UInt64?, checkWorker: UInt64?, record: [UInt8])] = []
        var leasesInRound = Set<UInt64>()
        for (slot, group) in round.enumerated() {
            // A lease held by a worker registered before a restart may be submitted by its new id.
            let owner = leases.outstanding[group.leaseId]?.workerID
            let checkWorker = owner.flatMap { workers[$0] != nil ? worker : nil }
            var lease: Result<Lease, LeaseRejection>
            do { lease = .success(try leases.check(group.leaseId, worker: checkWorker)) } catch { lease = .failure(error) }
            // The same lease twice in one round: the second is a duplicate of the first.
            if leasesInRound.contains(group.leaseId) { lease = .failure(.alreadyTrained(group.leaseId)) }
            let expected = (try? lease.get()).map { task.prompt(seed: config.seed, index: $0.promptIndex, split: .train).tokens.map(Int32.init) } ?? []
            if let r = admit(group, lease: lease, expectedPrompt: expected, learnerVersion: version, policy: admission) {
                acks[slot] = reject(group, r)
                continue
            }
            leasesInRound.insert(group.leaseId)
            admitted.append((slot, group, owner, checkWorker, group.encoded()))
        }
        if !admitted.isEmpty {
            let sequences: [UInt64]
            do { sequences = try wal.append(admitted.map(\.record)); counters.walSyncs += 1 } catch {
                for a in admitted {
                    acks[a.slot] = reject(a.group, Rejection(.bufferFull, "the learner could not write its log (\(error)); retry later"))
                }
                return acks.map { $0! }
            }
            for (a, seq) in zip(admitted, sequences) {
                _ = try? leases.complete(a.group.leaseId, worker: a.checkWorker)
                if let o = a.owner { workers[o]?.leasesHeld -= 1 }
                if let w = worker { workers[w]?.groupsSubmitted += 1 }
                counters.accepted += 1
                rewards.record(a.group)
                counters.bytesReceived += a.record.count
                rate.add(groups: 1, bytes: a.record.count, at: now())
                counters.stalenessHistogram[version - Int(a.group.policyVersion), default: 0] += 1
                buffer.append(BufferedGroup(sequence: seq, group: RolloutGroup(a.group)))
                acks[a.slot] = SubmitAck(leaseId: a.group.leaseId, outcome: .accepted, learnerVersion: UInt64(version),
                                         bufferedCount: UInt32(buffer.count))
            }
            wakeBatchWaiter()
        }
        return acks.map { $0! }
    }

    /// Re-buffers a group found in the write-ahead log after a restart (already acknowledged).
    func restore(_ group: TrajectoryGroup, sequence: UInt64, completeLease: Bool) {
        if completeLease { leases.restoreLogged(leaseID: group.leaseId, promptIndex: Int(group.promptIndex)) }
        buffer.append(BufferedGroup(sequence: sequence, group: RolloutGroup(group)))
    }

    /// Called once after the log is replayed at start-up (see `LeaseBook.startNewEpoch`).
    func startNewLeaseEpoch() { leases.startNewEpoch() }

    // MARK: training side

    /// Waits until `count` groups are buffered and removes them (oldest first).
    public func takeBatch(_ count: Int) async -> [BufferedGroup] {
        while buffer.count < count && !shuttingDown {
            await withCheckedContinuation { batchWaiter = (count, $0) }
        }
        let n = min(count, buffer.count)
        let batch = Array(buffer.prefix(n))
        removeTaken(n, batchComplete: n > 0)
        return batch
    }

    /// Drops the `n` oldest buffered groups (taken for training): space for submissions and
    /// leases frees up; in sync mode a complete batch stops leasing until its version is out.
    private func removeTaken(_ n: Int, batchComplete: Bool) {
        buffer.removeFirst(n)
        groupsTaken += n
        let waiters = spaceWaiters
        spaceWaiters = []
        for w in waiters { w.resume() }
        if config.sync && batchComplete { batchInTraining = true }
        wakeWorkWaiters()
    }

    /// Dynamic sampling (ALGORITHMS.md §4.6): takes groups oldest first until `count` of them
    /// satisfy `hasSignal`; the others are taken too (they count as trained) and returned as
    /// `filtered`. Waits for groups as they arrive. In sync mode leasing for the current version
    /// continues until the batch is complete, in this same actor turn. `giveUpAfter` (> 0)
    /// groups in a row without signal come back with an empty batch (LearningHealth).
    public func takeBatch(_ count: Int, giveUpAfter: Int = 0, hasSignal: @Sendable (RolloutGroup) -> Bool)
        async -> (batch: [BufferedGroup], filtered: [BufferedGroup]) {
        var batch: [BufferedGroup] = [], filtered: [BufferedGroup] = []
        func noSignalRound() -> Bool { giveUpAfter > 0 && batch.isEmpty && filtered.count >= giveUpAfter }
        while batch.count < count && !shuttingDown && !noSignalRound() {
            while buffer.isEmpty && !shuttingDown {
                await withCheckedContinuation { batchWaiter = (1, $0) }
            }
            var taken = 0
            while batch.count < count, taken < buffer.count, !noSignalRound() {
                let g = buffer[taken]
                if hasSignal(g.group) { batch.append(g) } else { filtered.append(g) }
                taken += 1
            }
            removeTaken(taken, batchComplete: batch.count == count)
        }
        return (batch, filtered)
    }

    private func wakeBatchWaiter() {
        if let w = batchWaiter, buffer.count >= w.count || shuttingDown {
            batchWaiter = nil
            w.cont.resume()
        }
    }

    /// Makes `policy` the current version and announces it to every watcher.
    public func publish(_ policy: PublishedPolicy) {
        store.publish(policy)
        version = policy.version
        batchInTraining = false
        wakeWorkWaiters()
        for (_, c) in watchers { c.yield(policy.announcement) }
    }

    /// A step ended without changing the weights (no optimizer step), so the version stays: in
    /// sync mode the next batch is leased for it at once.
    public func versionKept() {
        batchInTraining = false
        wakeWorkWaiters()
    }

    /// A stream of announcements: the current version at once unless it is `lastKnownVersion` (the
    /// version the watcher already holds; PROTOCOL.md §3 Watch), then every newly published one.
    public func watch(lastKnownVersion: UInt64? = nil) -> AsyncStream<PolicyAnnouncement> {
        let id = UUID()
        let (stream, cont) = AsyncStream<PolicyAnnouncement>.makeStream(bufferingPolicy: .bufferingNewest(1))
        if let latest = store.latest, latest.announcement.version != lastKnownVersion { cont.yield(latest.announcement) }
        watchers[id] = cont
        cont.onTermination = { [weak self] _ in Task { await self?.unwatch(id) } }
        return stream
    }

    private func unwatch(_ id: UUID) { watchers[id] = nil }

    /// The announcement of the current policy, if one is published (the Watch heartbeat repeats it).
    public var currentAnnouncement: PolicyAnnouncement? { store.latest?.announcement }

    public func policy(version v: Int) -> PublishedPolicy? { store.version(v) }

    /// Stops taking work: waiting submitters and the trainer are released, watchers finish.
    public func shutdown() {
        shuttingDown = true
        for w in spaceWaiters { w.resume() }
        spaceWaiters = []
        wakeBatchWaiter()
        wakeWorkWaiters()
        for (_, c) in watchers { c.finish() }
        watchers = [:]
    }

    // MARK: durability

    /// Rotates the log at a checkpoint and drops segments whose groups are all trained.
    func checkpointed(trainedThrough: UInt64) throws {
        try wal.rotate()
        try wal.discard(before: trainedThrough)
    }

    public var nextWALSequence: UInt64 { wal.nextSequence }

    /// What a checkpoint records of ingestion, read in one actor turn. Read piecemeal (one
    /// `await` each), a submission could land between the lease book and the log position:
    /// its record would sit below `walNext` with its lease still outstanding in the book, so
    /// a restart would buffer the group *and* re-issue its prompt (trained twice).
    func checkpointView() -> (leases: LeaseBook, walNext: UInt64, workerIDFloor: UInt64) {
        (leases, wal.nextSequence, nextWorkerID)
    }
}

extension RolloutGroup {
    /// The training view of a wire group.
    public init(_ g: TrajectoryGroup) {
        let offsets = g.sampleOffsets
        var samples: [ScoredSample] = []
        for i in 0..<g.sampleCount {
            let r = offsets[i]..<offsets[i + 1]
            samples.append(ScoredSample(tokens: Array(g.completionTokens[r]), logProbs: Array(g.logProbs[r]),
                                        reward: g.rewards[i], correct: g.correct[i],
                                        finish: g.finishReasons[i] == .end ? .end : .length))
        }
        self.init(promptIndex: Int(g.promptIndex), prompt: g.promptTokens, version: Int(g.policyVersion), samples: samples)
    }
}
