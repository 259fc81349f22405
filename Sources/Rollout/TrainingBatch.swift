// How the learner lays groups out as one padded training batch (MODEL.md §3 "Batch files"):
// the tensors of a batch file. Assembling one (advantages) is the objective's job
// (Sources/Objectives/BatchAssembly.swift).

/// N sequences padded to S positions: prompt + completion, with the loss mask, behaviour
/// log-probs (at the position of the token they score), rewards, advantages, group ids
/// and versions. Exactly the tensors of a MODEL.md batch file.
package struct TrainingBatch: Sendable, Equatable {
    package var count: Int
    package var length: Int
    package var tokens: [Int32]
    package var lossMask: [Float]
    package var behaviourLogProbs: [Float]
    package var rewards: [Float]
    package var advantages: [Float]
    package var groupIDs: [Int32]
    package var versions: [PolicyVersion]
    /// 1 for a correct sample (kept for metrics; not part of the batch file).
    package var correct: [Bool]
    /// True for a demonstration row: the group's prompt (without a hint) and the task's reference
    /// completion, which no policy sampled (proto/PROTOCOL.md §6.5.3; its behaviour log-probs are 0
    /// and unused). Appended by the objectives that learn from demonstrations (BatchAssembly.swift).
    package var demonstration: [Bool]
    /// Statistics of the advantage computation (zero-variance groups, BNPO α/β).
    package var advantageStats: AdvantageStats? = nil

    package init(count: Int, length: Int, tokens: [Int32], lossMask: [Float], behaviourLogProbs: [Float],
                rewards: [Float], advantages: [Float], groupIDs: [Int32], versions: [PolicyVersion], correct: [Bool],
                demonstration: [Bool]? = nil) {
        self.count = count; self.length = length; self.tokens = tokens; self.lossMask = lossMask
        self.behaviourLogProbs = behaviourLogProbs; self.rewards = rewards; self.advantages = advantages
        self.groupIDs = groupIDs; self.versions = versions; self.correct = correct
        self.demonstration = demonstration ?? [Bool](repeating: false, count: count)
    }

    /// Whether any row is a demonstration.
    package var hasDemonstrations: Bool { demonstration.contains(true) }

    /// The mean reward of the sampled rows (demonstrations excluded); nil without any.
    package var sampledMeanReward: Double? {
        var sum = 0.0, n = 0
        for (r, d) in zip(rewards, demonstration) where !d { sum += Double(r); n += 1 }
        return n > 0 ? sum / Double(n) : nil
    }

    /// The rows `rows` as their own batch (same padded length), for minibatching.
    package func rows(_ rows: [Int]) -> TrainingBatch {
        var out = TrainingBatch(count: rows.count, length: length, tokens: [], lossMask: [], behaviourLogProbs: [],
                                rewards: [], advantages: [], groupIDs: [], versions: [], correct: [], demonstration: [])
        out.tokens.reserveCapacity(rows.count * length)
        for r in rows {
            let span = (r * length)..<((r + 1) * length)
            out.tokens += tokens[span]; out.lossMask += lossMask[span]; out.behaviourLogProbs += behaviourLogProbs[span]
            out.rewards.append(rewards[r]); out.advantages.append(advantages[r]); out.groupIDs.append(groupIDs[r])
            out.versions.append(versions[r]); out.correct.append(correct[r]); out.demonstration.append(demonstration[r])
        }
        out.advantageStats = advantageStats
        return out
    }

}

/// Statistics of a batch's advantage computation (zero-variance groups, BNPO's α/β), computed
/// by the objective's estimator and carried with the batch into the metrics.
package struct AdvantageStats: Codable, Sendable, Equatable {
    /// Number of groups and the fraction whose rewards are all equal (no signal, §1.3).
    package var groups: Int
    package var zeroVarianceGroupFraction: Double
    /// BNPO's fitted Beta parameters (nil for other estimators).
    package var betaAlpha: Double?
    package var betaBeta: Double?

    package init(groups: Int, zeroVarianceGroupFraction: Double, betaAlpha: Double? = nil, betaBeta: Double? = nil) {
        self.groups = groups; self.zeroVarianceGroupFraction = zeroVarianceGroupFraction
        self.betaAlpha = betaAlpha; self.betaBeta = betaBeta
    }
}
