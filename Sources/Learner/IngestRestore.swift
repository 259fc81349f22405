// Ingestion's durability: what a checkpoint records of it (one consistent view), the log
// rotation after a checkpoint, and rebuilding ingestion at start-up from the newest
// checkpoint plus every group of the write-ahead log that checkpoint has not trained.
// `LearnerNode.open` restores with it, and so do the crash-point tests, so a simulated crash
// restores exactly as a restart does.

import Foundation
import Objectives
import Rollout
import Tasks
import Wire

extension IngestState {
    /// Opens the log in `walDirectory`, replays it into a fresh `IngestState` built from
    /// `durable` (the checkpoint's learner state), and starts new lease and worker-id blocks
    /// when anything happened before (a checkpoint or logged groups). Returns the state and
    /// how many groups the log gave back.
    ///
    /// Every logged group is buffered again; a group logged after the checkpoint
    /// (`sequence ≥ durable.walNext`) also completes its lease in the book
    /// (`LeaseBook.restoreLogged`), which retires any earlier lease of the same prompt.
    static func restore(config: LearnerConfig, task: any VerifiableTask, vocabSize: Int, durable: LearnerDurableState,
                        version: PolicyVersion, walDirectory: URL, hadCheckpoint: Bool,
                        clock: any LearnerClock = SystemClock()) async throws -> (IngestState, Int) {
        let wal = try WriteAheadLog(directory: walDirectory)
        let records = try wal.replay(from: durable.trainedThrough)
        let restarted = hadCheckpoint || !records.isEmpty
        // Workers registered after the checkpoint may still hold ids above its floor: ids after
        // a restart come from a fresh 2³² block so an old id never names a new worker.
        let workerFloor = restarted ? ((durable.nextWorkerID >> 32) + 1) << 32 : durable.nextWorkerID
        let ingest = IngestState(config: config, task: task, vocabSize: vocabSize, wal: wal, leases: durable.leases,
                                 version: version, nextWorkerID: workerFloor, groupsTaken: durable.groupsTrained, clock: clock)
        for r in records {
            let g = try TrajectoryGroup.decode(r.payload)
            await ingest.restore(g, sequence: r.sequence, completeLease: r.sequence >= durable.walNext)
        }
        if restarted { await ingest.startNewLeaseEpoch() }
        return (ingest, records.count)
    }

    /// Re-buffers a group found in the write-ahead log after a restart (already acknowledged).
    func restore(_ group: TrajectoryGroup, sequence: UInt64, completeLease: Bool) {
        if completeLease { leases.restoreLogged(leaseID: group.leaseId, promptIndex: Int(group.promptIndex)) }
        groupBuffer.append(BufferedGroup(sequence: sequence, group: RolloutGroup(group)))
    }

    /// Called once after the log is replayed at start-up (see `LeaseBook.startNewEpoch`).
    func startNewLeaseEpoch() { leases.startNewEpoch() }

    /// Rotates the log at a checkpoint and drops segments whose groups are all trained.
    func checkpointed(trainedThrough: UInt64) throws {
        try wal.rotate()
        try wal.discard(before: trainedThrough)
    }

    package var nextWALSequence: UInt64 { wal.nextSequence }

    /// What a checkpoint records of ingestion, read in one actor turn. Read piecemeal (one
    /// `await` each), a submission could land between the lease book and the log position:
    /// its record would sit below `walNext` with its lease still outstanding in the book, so
    /// a restart would buffer the group *and* re-issue its prompt (trained twice).
    func checkpointView() -> (leases: LeaseBook, walNext: UInt64, workerIDFloor: UInt64) {
        (leases, wal.nextSequence, registry.nextID)
    }
}
