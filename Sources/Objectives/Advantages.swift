// Group-relative advantage estimators (ALGORITHMS.md §1.3, §4.4, §4.5, §5.1, §5.4): the choice
// `advantage`, the batch statistics, and the dispatch to each estimator's formula in its paper's
// file (GRPO.swift, DrGRPO.swift, RLOO.swift, GBPO.swift, BNPO.swift). Every sample of a group
// shares one scalar advantage, computed once per group.

import Rollout
import Foundation

/// How a group's rewards become per-sample advantages.
package enum AdvantageEstimator: String, Codable, Sendable, CaseIterable {
    /// GRPO z-score `(R − mean) / (std + ε_std)` with the population std (§1.3).
    case grpo
    /// Dr. GRPO mean-only `R − mean` (§4.4).
    case drGRPO = "dr-grpo"
    /// RLOO leave-one-out `R − mean_{j≠i} R_j` (§4.5).
    case rloo
    /// GBPO median baseline `R − median` (§5.1, reconstruction).
    case gbpo
    /// BNPO Beta normalisation `(R − p_g) / Beta_pdf(p_g; α, β)` with batch-level α, β (§5.4).
    case bnpo
}

/// Errors raised for advantage inputs that cannot be used.
package enum AdvantageError: Error, Equatable, CustomStringConvertible {
    case lengthMismatch(rewards: Int, groupIDs: Int)
    case nonFiniteReward(index: Int, value: Float)

    package var description: String {
        switch self {
        case let .lengthMismatch(r, g): return "advantages: \(r) rewards but \(g) group ids"
        case let .nonFiniteReward(i, v): return "advantages: reward \(i) is not finite (\(v))"
        }
    }
}

extension AdvantageEstimator {
    /// Per-sample advantages for `rewards`, grouped by equal `groupIDs`
    /// (groups need not be contiguous). `epsStd` guards the GRPO division.
    package func advantages(rewards: [Float], groupIDs: [Int32], epsStd: Float = 1e-6) throws -> [Float] {
        try advantagesWithStats(rewards: rewards, groupIDs: groupIDs, epsStd: epsStd).advantages
    }

    /// Advantages plus the batch statistics (zero-variance groups, BNPO's α and β).
    package func advantagesWithStats(rewards: [Float], groupIDs: [Int32],
                                    epsStd: Float = 1e-6) throws -> (advantages: [Float], stats: AdvantageStats) {
        guard rewards.count == groupIDs.count else {
            throw AdvantageError.lengthMismatch(rewards: rewards.count, groupIDs: groupIDs.count)
        }
        if let bad = rewards.firstIndex(where: { !$0.isFinite }) {
            throw AdvantageError.nonFiniteReward(index: bad, value: rewards[bad])
        }
        let members = groupMembers(groupIDs)
        let zeroVar = members.filter { idx in idx.allSatisfy { rewards[$0] == rewards[idx[0]] } }.count
        var stats = AdvantageStats(groups: members.count,
                                   zeroVarianceGroupFraction: members.isEmpty ? 0 : Double(zeroVar) / Double(members.count))
        if self == .bnpo {
            let (adv, a, b) = bnpoAdvantages(rewards: rewards, members: members)
            stats.betaAlpha = a; stats.betaBeta = b
            return (adv, stats)
        }
        var out = [Float](repeating: 0, count: rewards.count)
        for idx in members {
            let r = idx.map { Double(rewards[$0]) }
            let mean = r.reduce(0, +) / Double(r.count)
            let values: [Double]
            switch self {
            case .grpo: values = grpoAdvantages(r, mean: mean, epsStd: epsStd)    // GRPO.swift
            case .drGRPO: values = drGRPOAdvantages(r, mean: mean)                // DrGRPO.swift
            case .rloo: values = rlooAdvantages(r, mean: mean)                    // RLOO.swift
            case .gbpo: values = medianBaselineAdvantages(r)                      // GBPO.swift
            case .bnpo: values = r.map { _ in 0 }  // handled above (needs the whole batch)
            }
            for (k, i) in idx.enumerated() { out[i] = Float(values[k]) }
        }
        return (out, stats)
    }
}

/// Indices of each group, in order of first appearance (groups need not be contiguous).
func groupMembers(_ groupIDs: [Int32]) -> [[Int]] {
    var slot: [Int32: Int] = [:]
    var out: [[Int]] = []
    for (i, g) in groupIDs.enumerated() {
        if let s = slot[g] { out[s].append(i) } else { slot[g] = out.count; out.append([i]) }
    }
    return out
}
