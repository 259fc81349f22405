// The bounded buffer of accepted groups and the batch hand-out: which groups training takes
// (oldest first; under dynamic sampling until enough of them have signal), how many prompts
// may be leased now (the free capacity; in sync mode one batch per version), and how many
// groups were handed to training. A value type that never waits: the ingest actor suspends
// its callers and asks again when something changed.

import Objectives
import Rollout
import Training

/// A group accepted for training, with its write-ahead-log sequence number.
package struct BufferedGroup: Sendable {
    package var sequence: UInt64
    package var group: RolloutGroup
}

/// Accepted groups waiting for training, and the rules for taking and leasing around them.
struct GroupBuffer: Sendable {
    /// Most groups buffered plus leased at once (async mode).
    let capacity: Int
    /// Sync mode: exactly `groupsPerStep` prompts per version, all sampled with it.
    let sync: Bool
    let groupsPerStep: Int
    private(set) var groups: [BufferedGroup] = []
    /// Groups handed to training since the state directory was created.
    private(set) var taken: Int
    /// Sync mode: a batch was taken and its version is not published yet, so no lease may be
    /// issued (it would be sampled with the version being replaced).
    private(set) var batchInTraining = false

    init(capacity: Int, sync: Bool, groupsPerStep: Int, taken: Int = 0) {
        self.capacity = capacity; self.sync = sync; self.groupsPerStep = groupsPerStep; self.taken = taken
    }

    var count: Int { groups.count }
    var isEmpty: Bool { groups.isEmpty }
    /// Submitters wait while this holds.
    var isFull: Bool { groups.count >= capacity }
    /// Groups one submission round may add (at least one, so a round always moves).
    var room: Int { max(1, capacity - groups.count) }

    /// How many of `requested` prompts may be leased now, with `outstanding` leases out, to a
    /// worker holding `workerVersion` while the learner is at `version`.
    func leasable(_ requested: Int, outstanding: Int, workerVersion: PolicyVersion?, version: PolicyVersion) -> Int {
        guard sync else { return max(0, min(requested, capacity - groups.count - outstanding)) }
        if batchInTraining { return 0 }
        if let v = workerVersion, v != version { return 0 }
        return max(0, min(requested, groupsPerStep - groups.count - outstanding))
    }

    /// Whether a lease request that got nothing should wait for work rather than answer at
    /// once: in sync mode not for a worker whose policy is not the current one (it must fetch
    /// the new version first; its announcement is on the way).
    func worthWaiting(workerVersion: PolicyVersion?, version: PolicyVersion) -> Bool {
        if sync, let v = workerVersion, v != version, !batchInTraining { return false }
        return true
    }

    mutating func append(_ g: BufferedGroup) { groups.append(g) }

    /// Removes the `n` oldest groups (all there are if fewer) for training.
    mutating func take(_ n: Int) -> [BufferedGroup] {
        let k = max(0, min(n, groups.count))
        let batch = Array(groups.prefix(k))
        removeTaken(k, batchComplete: k > 0)
        return batch
    }

    /// Dynamic sampling: offers groups oldest first to `fill` (the refill rule, BatchFill.swift)
    /// while it needs more or the buffer is empty. Every group offered is taken.
    mutating func take(into fill: inout BatchFill<BufferedGroup>) {
        var k = 0
        while k < groups.count, fill.state == .needMore {
            fill.offer(groups[k], hasSignal: groups[k].group.hasSignal)
            k += 1
        }
        removeTaken(k, batchComplete: fill.state == .full)
    }

    /// A version was published, or a step kept the version: in sync mode leasing resumes.
    mutating func batchSettled() { batchInTraining = false }

    private mutating func removeTaken(_ n: Int, batchComplete: Bool) {
        groups.removeFirst(n)
        taken += n
        if sync && batchComplete { batchInTraining = true }
    }
}
