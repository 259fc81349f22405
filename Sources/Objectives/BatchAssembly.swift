// Assembling a training batch: lays groups out [N, S] and computes each sequence's advantage
// with the configured estimator (Advantages.swift), plus the demonstration rows of the methods
// that learn from the task's reference (RPO.swift, HNPG.swift); and the kernel's view of a batch.

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

    /// Lays out `groups` for `objective`: the sampled rows as `assemble(_:pad:estimator:epsStd:)`
    /// does, then, when the objective learns from demonstrations (`sft_coef` > 0 or
    /// `offline_weight`; RPO.swift, HNPG.swift), one demonstration row per group with a non-empty
    /// reference (proto/PROTOCOL.md §6.5.3): the group's prompt without its last `hint` tokens,
    /// then the reference, loss mask 1 on the reference tokens, behaviour log-probs 0 (unused:
    /// no policy sampled it), its group's id and version, `correct` false, and reward
    /// `demonstrationReward` (HNPG.swift). With `offline_weight` the groups with a demonstration
    /// get HNPG's advantages (the demonstration in the baseline with weight w), the demonstration
    /// row included; without, a demonstration row's advantage is 0.
    package static func assemble(_ groups: [RolloutGroup], pad: Int32, objective: ObjectiveConfig) throws -> TrainingBatch {
        let sampled = try assemble(groups, pad: pad, estimator: objective.advantage, epsStd: objective.epsStd)
        guard objective.usesDemonstrations else { return sampled }
        let demos = groups.enumerated().compactMap { gi, g -> (group: Int, prompt: ArraySlice<Int32>, reference: [Int32])? in
            g.reference.isEmpty ? nil : (gi, g.prompt.dropLast(max(0, min(g.hint, g.prompt.count))), g.reference)
        }
        guard !demos.isEmpty else { return sampled }
        let length = max(sampled.length, demos.map { $0.prompt.count + $0.reference.count }.max()!)
        let count = sampled.count + demos.count
        var b = TrainingBatch(count: count, length: length, tokens: [Int32](repeating: pad, count: count * length),
                              lossMask: [Float](repeating: 0, count: count * length),
                              behaviourLogProbs: [Float](repeating: 0, count: count * length),
                              rewards: sampled.rewards, advantages: sampled.advantages, groupIDs: sampled.groupIDs,
                              versions: sampled.versions, correct: sampled.correct,
                              demonstration: [Bool](repeating: false, count: sampled.count))
        b.advantageStats = sampled.advantageStats
        for r in 0..<sampled.count {                      // re-pad the sampled rows to the new length
            let from = (r * sampled.length)..<((r + 1) * sampled.length), to = r * length
            b.tokens.replaceSubrange(to..<(to + sampled.length), with: sampled.tokens[from])
            b.lossMask.replaceSubrange(to..<(to + sampled.length), with: sampled.lossMask[from])
            b.behaviourLogProbs.replaceSubrange(to..<(to + sampled.length), with: sampled.behaviourLogProbs[from])
        }
        for (j, d) in demos.enumerated() {
            let base = (sampled.count + j) * length
            for (t, tok) in d.prompt.enumerated() { b.tokens[base + t] = tok }
            for (t, tok) in d.reference.enumerated() {
                b.tokens[base + d.prompt.count + t] = tok
                b.lossMask[base + d.prompt.count + t] = 1
            }
            let g = groups[d.group]
            b.rewards.append(demonstrationReward(g.samples.map(\.reward)))
            b.advantages.append(0)
            b.groupIDs.append(Int32(d.group))
            b.versions.append(g.version)
            b.correct.append(false)
            b.demonstration.append(true)
        }
        if let w = objective.offlineWeight {
            b.advantages = try hnpgAdvantages(rewards: b.rewards, groupIDs: b.groupIDs, demonstration: b.demonstration,
                                              sampledAdvantages: b.advantages, weight: w, estimator: objective.advantage,
                                              epsStd: objective.epsStd)
        }
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
        if demonstration.contains(true) { b.demonstration = demonstration }
        return b
    }
}
