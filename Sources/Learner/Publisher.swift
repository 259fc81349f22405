// Publisher: the second half of publishing a version, on a thread of its own so the training
// thread does not wait for it (issue 5: "publishing must not stall"; the pause is measured as
// `publishSeconds`). The training thread only copies the weights into safetensors bytes; here,
// in version order, the digest is computed, the version floor is made durable (fsync — so a
// restarted learner never reuses an announced version), and the version is announced to every
// watcher. `drain()` waits for everything queued (before checkpoints at shutdown and exit).

import Foundation
import Rollout
import Tensor
import Transport
import Wire

final class Publisher: @unchecked Sendable {
    private let ingest: IngestState
    private let store: LearnerStateStore
    private let thread = JobThread(name: "trib-publish")
    private let lock = NSLock()
    private var failure: (any Error)?

    init(ingest: IngestState, store: LearnerStateStore) {
        self.ingest = ingest
        self.store = store
    }

    /// Queues a version (its encoded weights); throws an earlier publish failure, if any.
    func enqueue(version: PolicyVersion, step: Int, bytes: [UInt8]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        thread.submit { [self] in
            do {
                try store.setVersionFloor(version: version, step: step)
                let policy = PublishedPolicy(version: version, step: step, bytes: bytes, digest: Digests.sha256.sha256(bytes))
                let ingest = self.ingest
                Blocking.wait { await ingest.publish(policy) }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits until every queued version is announced; throws a publish failure.
    func drain() throws {
        thread.waitUntilIdle()
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Ends the publisher thread once everything queued is done (training ended).
    func close() { thread.close() }

    deinit { thread.close() }   // the thread keeps only its JobThread alive, not this object
}
