// Assembling a training batch: lays groups out [N, S] and computes each sequence's advantage
// with the configured estimator (Advantages.swift); and the kernel's view of a batch.

import Rollout

extension TrainingBatch {
    /// Lays out `groups` (group id = position in the array), right-padding with `pad`, and
    /// computes advantages with `estimator` per group. Position `p + t` holds completion token
    /// `t` of a prompt of length `p`; its behaviour log-prob sits at the same position.
    package static func assemble(_ groups: [RolloutGroup], pad: Int32, estimator: AdvantageEstimator,
                                epsStd: Float = 1e-6) throws -> TrainingBatch {
        var length = 0
        for g in groups { for s in g.samples { length = max(length, g.prompt.count + s.tokens.count) } }
        let count = groups.reduce(0) { $0 + $1.samples.count }
        var b = TrainingBatch(count: count, length: length,
                              tokens: [Int32](repeating: pad, count: count * length),
                              lossMask: [Float](repeating: 0, count: count * length),
                              behaviourLogProbs: [Float](repeating: 0, count: count * length),
                              rewards: [], advantages: [], groupIDs: [], versions: [], correct: [])
        var row = 0
        for (gi, g) in groups.enumerated() {
            for s in g.samples {
                guard s.logProbs.count == s.tokens.count else {
                    throw ObjectiveError.shapeMismatch("group \(gi): \(s.tokens.count) tokens but \(s.logProbs.count) log-probs")
                }
                let base = row * length
                for (t, tok) in g.prompt.enumerated() { b.tokens[base + t] = tok }
                for (t, tok) in s.tokens.enumerated() {
                    let k = base + g.prompt.count + t
                    b.tokens[k] = tok
                    b.lossMask[k] = 1
                    b.behaviourLogProbs[k] = s.logProbs[t]
                }
                b.rewards.append(s.reward)
                b.groupIDs.append(Int32(gi))
                b.versions.append(g.version)
                b.correct.append(s.correct)
                row += 1
            }
        }
        (b.advantages, b.advantageStats) = try estimator.advantagesWithStats(rewards: b.rewards, groupIDs: b.groupIDs,
                                                                            epsStd: epsStd)
        return b
    }

    /// The objective's view of this batch without a learner version (no staleness pieces).
    package var tokenBatch: TokenBatch { tokenBatch(learnerVersion: nil) }

    /// The objective's view of this batch (rewards, group ids and versions included);
    /// `learnerVersion` enables staleness metrics, the cap and the AReaL interpolation.
    package func tokenBatch(learnerVersion: PolicyVersion? = nil) -> TokenBatch {
        var b = TokenBatch(count: count, length: length, behaviourLogProbs: behaviourLogProbs, mask: lossMask,
                           advantages: advantages)
        b.rewards = rewards; b.groupIDs = groupIDs; b.versions = versions; b.learnerVersion = learnerVersion
        b.advantageStats = advantageStats
        return b
    }
}
