// HNPG – "Offline Data Enhanced On-Policy Policy Gradient with Provable Guarantees" (papers.txt;
// docs/algorithms.md "hnpg"). The abstract [P]: "Our new approach integrates a procedure of off-policy
// training on the offline data into an on-policy NPG framework", keeping "the theoretical
// guarantees of on-policy NPG regardless of the offline RL assumptions' validity". The paper is an
// actor-critic; our learner is critic-free, so the update rule is our reconstruction [R] (the
// reasoning is in the docs section above). The offline data are the task's demonstrations (one
// row per group with a reference; BatchAssembly.swift, proto/PROTOCOL.md §6.5.3), w =
// `offline_weight` (1):
//   reward of the demonstration   r_d = max(1, max_i R_i)       (`demonstrationReward`)
//   group baseline with the demonstration as a sample of weight w (the critic's share):
//     b = (Σ_i R_i + w·r_d)/(G + w),  σ² = (Σ_i (R_i − b)² + w·(r_d − b)²)/(G + w)
//     Â = (R − b)/(σ + ε_std) for `advantage = grpo`, R − b for `dr-grpo`, for the G samples and r_d
//   loss = loss_GRPO(sampled rows, these Â)                             (on-policy part, unchanged form)
//        + (w/M) Σ_{t∈D} (−Â_d · log π_θ(y_t))                          (off-policy part, no ratio)
//   ∂loss/∂log π_t = −w·Â_d/M  for t ∈ D
// M = the loss-mask tokens of the minibatch's sampled rows, so a demonstration token weighs as
// much as w sampled tokens: the demonstration is one more member of its group, of weight w. No
// importance ratio: the data were not sampled by any policy we know the probabilities of, so none
// exists (and the sampled rows keep theirs, clip and staleness weights unchanged). Metrics:
// `demonstration_tokens`, `demonstration_nll`, `offline_term`, `offline_advantage_mean`.

import Foundation

extension PresetInfo {
    static let hnpg = PresetInfo(name: "hnpg", paper: "Offline Data Enhanced On-Policy Policy Gradient with Provable Guarantees",
                                 reference: "docs/algorithms.md hnpg, HNPG.swift", reconstructed: true) { c in
        c.offlineWeight = 1
    }
}

/// The reward a demonstration row carries: the verifier's reward of an exact answer (1; docs/tasks.md
/// "Reward"), or the group's best sample when a composite reward scores higher — the reference is
/// the task's own answer, so no sample should out-score it.
package func demonstrationReward(_ groupRewards: [Float]) -> Float { max(1, groupRewards.max() ?? 1) }

/// HNPG's advantages (file comment): for every group with a demonstration row, the baseline and
/// scale over its sampled rewards plus the demonstration's with weight `weight`; other groups keep
/// `sampledAdvantages`.
package func hnpgAdvantages(rewards: [Float], groupIDs: [Int32], demonstration: [Bool], sampledAdvantages: [Float],
                            weight: Float, estimator: AdvantageEstimator, epsStd: Float) throws -> [Float] {
    guard rewards.count == groupIDs.count, demonstration.count == rewards.count, sampledAdvantages.count == rewards.count else {
        throw AdvantageError.lengthMismatch(rewards: rewards.count, groupIDs: groupIDs.count)
    }
    guard estimator == .grpo || estimator == .drGRPO else {
        throw ObjectiveError.invalidSetting("offline_weight needs advantage = grpo or dr-grpo (got \(estimator.rawValue))")
    }
    var out = sampledAdvantages
    let w = Double(weight)
    for idx in groupMembers(groupIDs) where idx.contains(where: { demonstration[$0] }) {
        var total = 0.0, sum = 0.0
        for i in idx { let wi = demonstration[i] ? w : 1; total += wi; sum += wi * Double(rewards[i]) }
        let b = sum / total
        var v = 0.0
        for i in idx { let wi = demonstration[i] ? w : 1; v += wi * (Double(rewards[i]) - b) * (Double(rewards[i]) - b) }
        let scale = estimator == .grpo ? (v / total).squareRoot() + Double(epsStd) : 1
        for i in idx { out[i] = Float((Double(rewards[i]) - b) / scale) }
    }
    return out
}

/// HNPG's off-policy term on the demonstration rows: −(w/M)·Â_d·log π per demonstration token.
struct HNPGOffline: KernelStage {
    func demonstrate(_ d: inout DemonstrationPass) {
        guard let w = d.config.offlineWeight.map(Double.init), !d.tokens.isEmpty else { return }
        let M = Double(d.sampledTokens > 0 ? d.sampledTokens : d.tokens.count)
        let S = d.batch.length
        var term = 0.0
        for k in d.tokens {
            let a = Double(d.batch.advantages[k / S])
            term -= w * a * Double(d.logProbs[k]) / M
            d.dlp[k] += -w * a / M
        }
        d.loss += term
        d.m.offlineTerm = term
        d.m.offlineAdvantageMean = d.rows.reduce(0.0) { $0 + Double(d.batch.advantages[$1]) } / Double(d.rows.count)
    }
}
