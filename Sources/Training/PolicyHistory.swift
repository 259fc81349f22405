// Parameter snapshots of recent policy versions, so a batch can be sampled from the policy
// of `s` versions ago: the deterministic simulated asynchrony of `tributary experiment`
// (issue 3 §4) and the learner's view of "the policy that generated this group". It lives in
// Training rather than Lab because SyncTraining's `staleness` option samples with it, and Lab
// sits above Training.

import Policy
import Rollout

/// A ring of the last `depth` versions' parameters plus a scratch model to sample with.
package final class PolicyHistory {
    package let depth: Int
    private var snapshots: [(version: PolicyVersion, params: [Float])] = []
    private let scratch: GPT

    package init(like model: GPT, depth: Int) throws {
        self.depth = max(1, depth)
        scratch = try GPT(config: model.config)
    }

    /// Records `model`'s current parameters as `version` (dropping the oldest beyond `depth`).
    /// A version names one set of weights: recording the newest version again replaces it
    /// rather than taking a second place in the ring.
    package func record(_ model: GPT, version: PolicyVersion) {
        if snapshots.last?.version == version { snapshots.removeLast() }
        snapshots.append((version, Array(model.params.buffer)))
        if snapshots.count > depth { snapshots.removeFirst(snapshots.count - depth) }
    }

    /// Versions currently held, oldest first.
    package var versions: [PolicyVersion] { snapshots.map(\.version) }

    /// The model at `version`, or at the oldest version held if `version` is older.
    /// Returns the version actually loaded. The returned model is shared scratch space.
    package func model(atOrAfter version: PolicyVersion) -> (GPT, PolicyVersion)? {
        guard let snap = snapshots.first(where: { $0.version >= version }) ?? snapshots.last else { return nil }
        snap.params.withUnsafeBufferPointer { src in
            scratch.params.base.update(from: src.baseAddress!, count: src.count)
        }
        return (scratch, snap.version)
    }
}
