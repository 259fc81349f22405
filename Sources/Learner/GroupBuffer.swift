// The bounded buffer of accepted groups and the batch hand-out: which groups training takes
// (oldest first; under dynamic sampling until enough of them have signal), how many prompts
// may be leased now (the free capacity; in sync mode one batch per version), and how many
// groups were handed to training. A value type that never waits: the ingest actor suspends
// its callers and asks again when something changed.

import Objectives
import Rollout

/// A group accepted for training, with its write-ahead-log sequence number.
package struct BufferedGroup: Sendable {
    package var sequence: UInt64
    package var group: RolloutGroup
}

/// A batch being gathered under dynamic sampling (ALGORITHMS.md §4.6): groups with signal go
/// to `batch`, the others to `filtered` (taken as well: they count as trained).
struct SignalSelection: Sendable {
    /// Groups with signal the batch needs.
    let want: Int
    /// More than 0: give up after this many groups in a row without signal (LearningHealth).
    let giveUpAfter: Int
    private(set) var batch: [BufferedGroup] = []
    private(set) var filtered: [BufferedGroup] = []

    init(want: Int, giveUpAfter: Int) { self.want = want; self.giveUpAfter = giveUpAfter }

    /// No group so far had signal, and `giveUpAfter` of them were seen.
    var gaveUp: Bool { giveUpAfter > 0 && batch.isEmpty && filtered.count >= giveUpAfter }
    /// The batch is complete, or the selection gave up.
    var isDone: Bool { batch.count >= want || gaveUp }

    mutating func add(_ g: BufferedGroup, hasSignal: Bool) {
        if hasSignal { batch.append(g) } else { filtered.append(g) }
    }
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

    /// Dynamic sampling: takes groups oldest first into `selection` until it is done or the
    /// buffer is empty. Every group looked at is taken.
    mutating func take(into selection: inout SignalSelection, hasSignal: (RolloutGroup) -> Bool) {
        var k = 0
        while k < groups.count, !selection.isDone {
            selection.add(groups[k], hasSignal: hasSignal(groups[k].group))
            k += 1
        }
        removeTaken(k, batchComplete: selection.batch.count == selection.want)
    }

    /// A version was published, or a step kept the version: in sync mode leasing resumes.
    mutating func batchSettled() { batchInTraining = false }

    private mutating func removeTaken(_ n: Int, batchComplete: Bool) {
        groups.removeFirst(n)
        taken += n
        if sync && batchComplete { batchInTraining = true }
    }
}
