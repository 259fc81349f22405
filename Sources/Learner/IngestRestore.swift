// Rebuilding ingestion at start-up: the lease book and counts of the newest checkpoint plus
// every group of the write-ahead log that checkpoint has not trained. `LearnerNode.open` uses
// it, and so do the crash-point tests, so a simulated crash restores exactly as a restart does.

import Foundation
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
                        version: Int, walDirectory: URL, hadCheckpoint: Bool,
                        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) async throws -> (IngestState, Int) {
        let wal = try WriteAheadLog(directory: walDirectory)
        let records = try wal.replay(from: durable.trainedThrough)
        let restarted = hadCheckpoint || !records.isEmpty
        // Workers registered after the checkpoint may still hold ids above its floor: ids after
        // a restart come from a fresh 2³² block so an old id never names a new worker.
        let workerFloor = restarted ? ((durable.nextWorkerID >> 32) + 1) << 32 : durable.nextWorkerID
        let ingest = IngestState(config: config, task: task, vocabSize: vocabSize, wal: wal, leases: durable.leases,
                                 version: version, nextWorkerID: workerFloor, groupsTaken: durable.groupsTrained, now: now)
        for r in records {
            let g = try TrajectoryGroup.decode(r.payload)
            await ingest.restore(g, sequence: r.sequence, completeLease: r.sequence >= durable.walNext)
        }
        if restarted { await ingest.startNewLeaseEpoch() }
        return (ingest, records.count)
    }
}
