// The learner's ingestion side: one actor, the single concurrency boundary around the parts
// that each do one job — the worker registry (`WorkerRegistry`), the lease book (`LeaseBook`),
// admission (`AdmissionRound`), the write-ahead log (`WriteAheadLog`), the group buffer and
// batch hand-out (`GroupBuffer`), the published versions and their watchers
// (`PublicationBoard`), the suspended callers (`IngestWaiters`) and the status counts
// (IngestStatus.swift). Every call is short; the training loop runs elsewhere (TrainingLoop)
// and meets this actor only to take a batch and to publish a version, so publishing never
// stalls ingestion. Time comes from the injected `LearnerClock`.

import Foundation
import Objectives
import Rollout
import Tasks
import Training
import Wire

package actor IngestState {
    package let config: LearnerConfig
    package let task: any VerifiableTask
    let admission: AdmissionPolicy
    let wal: WriteAheadLog
    package internal(set) var leases: LeaseBook
    var registry: WorkerRegistry
    var groupBuffer: GroupBuffer
    var board: PublicationBoard
    package internal(set) var counters = IngestCounters()
    /// Accepted groups and bytes of the last seconds, for the ingest rates of /status.
    var rate = IngestRate()
    var waiters = IngestWaiters()
    private(set) var shuttingDown = false
    /// Every deadline and timer of ingestion reads this clock.
    package nonisolated let clock: any LearnerClock
    /// Reward components of the accepted groups (RewardComponents.swift).
    package nonisolated let rewards = RewardComponentBook()

    package init(config: LearnerConfig, task: any VerifiableTask, vocabSize: Int, wal: WriteAheadLog, leases: LeaseBook,
                version: PolicyVersion, nextWorkerID: UInt64 = 1, groupsTaken: Int = 0, clock: any LearnerClock = SystemClock()) {
        self.config = config
        self.task = task
        self.wal = wal
        self.leases = leases
        self.clock = clock
        registry = WorkerRegistry(nextID: nextWorkerID, idleLimit: 10 * config.leaseSeconds)
        groupBuffer = GroupBuffer(capacity: config.bufferCapacity, sync: config.sync, groupsPerStep: config.groupsPerStep,
                                  taken: groupsTaken)
        board = PublicationBoard(version: version)
        admission = AdmissionPolicy(groupSize: config.groupSize, vocabSize: vocabSize,
                                    maxCompletionTokens: task.maxCompletionTokens, maxStaleness: config.maxStaleness)
    }

    /// The current policy version.
    package var version: PolicyVersion { board.version }
    /// The accepted groups waiting for training, oldest first.
    package var buffer: [BufferedGroup] { groupBuffer.groups }
    /// Groups handed to training since the state directory was created (restored from the
    /// checkpoint's `groupsTrained`). At every moment `groupsTaken + buffer.count ==
    /// leases.trainedCount`: each completed lease's group is either buffered or taken.
    package var groupsTaken: Int { groupBuffer.taken }
    /// The published versions workers may fetch.
    package var store: PolicyStore { board.store }

    // MARK: leases

    /// Issues up to `max` work units. In sync mode only enough for the current version's batch.
    package func lease(worker: UInt64, max requested: Int, workerVersion: PolicyVersion?) -> [WorkUnit] {
        let now = clock.now()
        expireLeases(now: now)
        registry.touch(worker, version: workerVersion, now: now)
        guard !shuttingDown else { return [] }
        let count = groupBuffer.leasable(min(requested, config.maxPromptsPerLease), outstanding: leases.outstanding.count,
                                         workerVersion: workerVersion, version: version)
        guard count > 0 else { return [] }
        let issued = leases.issue(to: worker, count: count, version: version, now: now, duration: config.leaseSeconds)
        counters.leasesIssued += issued.count
        registry.leasesHeld(worker, issued.count)
        return issued.map { l in
            let p = task.prompt(seed: config.seed, index: l.promptIndex, split: .train)
            return WorkUnit(leaseId: l.id, promptIndex: UInt64(l.promptIndex), promptTokens: p.tokens.map(Int32.init),
                            groupSize: UInt32(config.groupSize), temperature: config.temperature, topK: UInt32(config.topK),
                            maxCompletionTokens: UInt32(task.maxCompletionTokens), policyVersion: version.wire,
                            deadlineUnixMs: UInt64(l.deadline * 1000))
        }
    }

    /// Whether a lease request that got nothing should wait for work rather than answer at
    /// once: not when shutting down, nor in sync mode for a worker whose policy is not the
    /// current one (it must fetch the new version first; its announcement is on the way).
    package func worthWaitingForWork(workerVersion: PolicyVersion?) -> Bool {
        !shuttingDown && groupBuffer.worthWaiting(workerVersion: workerVersion, version: version)
    }

    /// Suspends a lease request that got nothing until work may exist — a batch was taken
    /// (capacity freed), a version was published, leases were released, or shutdown — or
    /// until `timeout` seconds pass on the learner's clock. The caller then asks again.
    package func waitForWork(timeout: Double) async {
        guard !shuttingDown, timeout > 0 else { return }
        let id = waiters.nextWorkID()
        let deadline = clock.now() + timeout
        let clock = self.clock
        let timer = Task { [weak self] in
            do { try await clock.sleep(until: deadline) } catch { return }   // cancelled: woken already
            await self?.pollEnded(id)
        }
        await withCheckedContinuation { waiters.addWork(id, $0) }
        timer.cancel()
    }

    private func pollEnded(_ id: UInt64) { waiters.wakeWork(id) }

    /// Lease requests held open now (tests wait for one before acting).
    var leaseRequestsWaiting: Int { waiters.waitingForWork }

    func expireLeases(now: Double) {
        let gone = leases.expire(now: now)
        counters.leasesExpired += gone.count
        for l in gone { registry.leasesHeld(l.workerID, -1) }
    }

    // MARK: submissions

    /// Validates, logs durably and buffers one group; the ack means "on disk". Waits while the
    /// buffer is full (back-pressure reaches the worker through HTTP/2 flow control).
    package func submit(_ group: TrajectoryGroup, from worker: UInt64?) async -> SubmitAck {
        await submit([group], from: worker)[0]
    }

    /// Validates, logs durably and buffers `groups`, one ack per group in order. The groups
    /// that fit the buffer are admitted together and logged with one fsync (group commit):
    /// every ack still means "on disk". Waits while the buffer is full.
    package func submit(_ groups: [TrajectoryGroup], from worker: UInt64?) async -> [SubmitAck] {
        var acks: [SubmitAck] = []
        acks.reserveCapacity(groups.count)
        var next = 0
        while next < groups.count {
            while groupBuffer.isFull && !shuttingDown {
                await withCheckedContinuation { waiters.addSpace($0) }
            }
            // No suspension from here to the end of the round: admission, the log append and
            // the buffer see one consistent state.
            let room = shuttingDown ? groups.count - next : groupBuffer.room
            let round = groups[next..<min(groups.count, next + room)]
            next = round.endIndex
            acks += admitAndLog(round, from: worker)
        }
        return acks
    }

    /// One round of `submit`: admission of each group, one log append for the admitted ones,
    /// then their leases, counters and buffer entries.
    private func admitAndLog(_ round: ArraySlice<TrajectoryGroup>, from worker: UInt64?) -> [SubmitAck] {
        let now = clock.now()
        if let w = worker, let last = round.last { registry.touch(w, version: PolicyVersion(wire: last.policyVersion), now: now) }
        func reject(_ group: TrajectoryGroup, _ r: Rejection) -> SubmitAck {
            counters.rejected[r.reason.name, default: 0] += 1
            return SubmitAck(leaseId: group.leaseId, outcome: .rejected(r.reason, message: r.message),
                             learnerVersion: version.wire, bufferedCount: UInt32(groupBuffer.count))
        }
        if shuttingDown {
            return round.map { reject($0, Rejection(.shuttingDown, "the learner is shutting down; the lease will be re-issued")) }
        }
        expireLeases(now: now)
        let t = task, seed = config.seed, registered = registry.workers
        let screened = AdmissionRound(round, from: worker, leases: leases, learnerVersion: version, policy: admission,
                                      isRegistered: { registered[$0] != nil },
                                      expected: { i in
                                          let p = t.prompt(seed: seed, index: i, split: .train)
                                          return (p.tokens.map(Int32.init), t.demonstration(for: p).map(Int32.init))
                                      })
        var acks: [SubmitAck?] = Array(repeating: nil, count: round.count)
        for (slot, r) in screened.refused { acks[slot] = reject(round[round.startIndex + slot], r) }
        if !screened.admitted.isEmpty {
            let sequences: [UInt64]
            do { sequences = try wal.append(screened.admitted.map(\.record)); counters.walSyncs += 1 } catch {
                for a in screened.admitted {
                    acks[a.slot] = reject(a.group, Rejection(.bufferFull, "the learner could not write its log (\(error)); retry later"))
                }
                return acks.map { $0! }
            }
            for (a, seq) in zip(screened.admitted, sequences) {
                _ = try? leases.complete(a.group.leaseId, worker: a.checkWorker)
                if let o = a.owner { registry.leasesHeld(o, -1) }
                if let w = worker { registry.submitted(w) }
                counters.accepted(bytes: a.record.count, staleness: PolicyVersion(wire: a.group.policyVersion).staleness(at: version))
                rewards.record(a.group)
                rate.add(groups: 1, bytes: a.record.count, at: now)
                groupBuffer.append(BufferedGroup(sequence: seq, group: RolloutGroup(a.group)))
                acks[a.slot] = SubmitAck(leaseId: a.group.leaseId, outcome: .accepted, learnerVersion: version.wire,
                                         bufferedCount: UInt32(groupBuffer.count))
            }
            waiters.wakeBatch(buffered: groupBuffer.count, shuttingDown: shuttingDown)
        }
        return acks.map { $0! }   // every slot was refused or admitted above
    }

    // MARK: training side

    /// Waits until `count` groups are buffered and removes them (oldest first).
    package func takeBatch(_ count: Int) async -> [BufferedGroup] {
        while groupBuffer.count < count && !shuttingDown {
            await withCheckedContinuation { waiters.setBatch(count: count, $0) }
        }
        let batch = groupBuffer.take(count)
        groupsLeft()
        return batch
    }

    /// Dynamic sampling (ALGORITHMS.md §4.6): offers groups oldest first to `fill`, the one
    /// refill rule (Training/BatchFill.swift), until its verdict is no longer `.needMore`; the
    /// groups without signal are taken too (they count as trained). Waits for groups as they
    /// arrive. In sync mode leasing for the current version continues until the batch is
    /// complete, in this same actor turn. Returns the filled rule (still `.needMore` only when
    /// shutting down).
    package func takeBatch(filling fill: BatchFill<BufferedGroup>) async -> BatchFill<BufferedGroup> {
        var fill = fill
        while fill.state == .needMore && !shuttingDown {
            while groupBuffer.isEmpty && !shuttingDown {
                await withCheckedContinuation { waiters.setBatch(count: 1, $0) }
            }
            groupBuffer.take(into: &fill)
            groupsLeft()
        }
        return fill
    }

    /// Groups were taken for training: space for submissions and leases frees up.
    private func groupsLeft() {
        waiters.wakeSpace()
        waiters.wakeAllWork()
    }

    // MARK: publication

    /// Makes `policy` the current version and announces it to every watcher.
    package func publish(_ policy: PublishedPolicy) {
        board.publish(policy)
        groupBuffer.batchSettled()
        waiters.wakeAllWork()
    }

    /// A step ended without changing the weights (no optimizer step), so the version stays: in
    /// sync mode the next batch is leased for it at once.
    package func versionKept() {
        groupBuffer.batchSettled()
        waiters.wakeAllWork()
    }

    /// A stream of announcements: the current version at once unless it is `lastKnownVersion` (the
    /// version the watcher already holds; PROTOCOL.md §3 Watch), then every newly published one.
    package func watch(lastKnownVersion: UInt64? = nil) -> AsyncStream<PolicyAnnouncement> {
        let id = UUID()
        let (stream, cont) = AsyncStream<PolicyAnnouncement>.makeStream(bufferingPolicy: .bufferingNewest(1))
        board.watch(id, cont, lastKnownVersion: lastKnownVersion)
        cont.onTermination = { [weak self] _ in Task { await self?.unwatch(id) } }
        return stream
    }

    private func unwatch(_ id: UUID) { board.unwatch(id) }

    /// The announcement of the current policy, if one is published (the Watch heartbeat repeats it).
    package var currentAnnouncement: PolicyAnnouncement? { board.currentAnnouncement }

    package func policy(version v: PolicyVersion) -> PublishedPolicy? { board.store.version(v) }

    /// Stops taking work: waiting submitters and the trainer are released, watchers finish.
    package func shutdown() {
        shuttingDown = true
        waiters.wakeSpace()
        waiters.wakeBatch(buffered: groupBuffer.count, shuttingDown: true)
        waiters.wakeAllWork()
        board.finishAll()
    }
}
