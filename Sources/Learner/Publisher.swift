// Publisher: the second half of publishing a version, on a thread of its own so the training
// thread does not wait for it (issue 5: "publishing must not stall"; the pause is measured as
// `publishSeconds`). The training thread only copies the weights into safetensors bytes; here,
// in version order, the digest is computed, the version floor is made durable (fsync — so a
// restarted learner never reuses an announced version), and the version is announced to every
// watcher. `drain()` waits for everything queued (before checkpoints at shutdown and exit).

import Foundation
import TLS
import Wire

final class Publisher: @unchecked Sendable {
    private let ingest: IngestState
    private let store: LearnerStateStore
    private let cond = NSCondition()
    private var jobs: [(version: Int, step: Int, bytes: [UInt8])] = []
    private var busy = false
    private var closed = false
    private var failure: (any Error)?

    init(ingest: IngestState, store: LearnerStateStore) {
        self.ingest = ingest
        self.store = store
        let t = Thread { [self] in
            Thread.current.name = "trib-publish"   // from inside and ≤ 15 bytes, or Linux drops it
            loop()
        }
        t.start()
    }

    /// Queues a version (its encoded weights); throws an earlier publish failure, if any.
    func enqueue(version: Int, step: Int, bytes: [UInt8]) throws {
        cond.lock(); defer { cond.unlock() }
        if let failure { throw failure }
        jobs.append((version, step, bytes))
        cond.broadcast()
    }

    /// Waits until every queued version is announced; throws a publish failure.
    func drain() throws {
        cond.lock(); defer { cond.unlock() }
        while !jobs.isEmpty || busy { cond.wait() }
        if let failure { throw failure }
    }

    /// Ends the publisher thread once everything queued is done (training ended).
    func close() {
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
            var error: (any Error)?
            do {
                try store.setVersionFloor(version: job.version, step: job.step)
                let policy = PublishedPolicy(version: job.version, step: job.step, bytes: job.bytes, digest: Digest.sha256(job.bytes))
                let ingest = self.ingest
                Blocking.wait { await ingest.publish(policy) }
            } catch let e {
                error = e
            }
            cond.lock()
            if let error, failure == nil { failure = error }
            busy = false
            cond.broadcast()
            cond.unlock()
        }
    }
}
