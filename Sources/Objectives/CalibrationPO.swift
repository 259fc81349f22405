// Calibration-Aware Policy Optimization – "Calibration-Aware Policy Optimization for Reasoning
// LLMs" (papers.txt; its authors call it CAPO, the preset is `calibration-po` because `capo` is
// the curvature-aware method). The abstract [P]: GRPO's "uncertainty-agnostic advantage
// estimation" degrades relative calibration (AUC); the method "adopts a logistic AUC surrogate
// loss … enabling uncertainty-aware advantage estimation" with "a noise masking mechanism".
// Our form [R] (docs/algorithms.md "calibration-po"), per group, with the confidence of completion
// i its mean token log-likelihood c_i = mean_t sg(log π(y_t)) over its loss tokens:
//   surrogate  L = −Σ_{(i,j): R_i > R_j} log σ(c_i − c_j)            (logistic AUC)
//   A_i = (2/√P)·[Σ_{j: R_j < R_i} σ(c_j − c_i) − Σ_{j: R_j > R_i} σ(c_i − c_j)]
// i.e. −∂L/∂c_i, with P the group's number of pairs with different rewards. Each pair pushes its
// two members by equal and opposite amounts, so a group's advantages sum to 0 as GRPO's do, and
// the scale 2/√P makes equal confidences with binary rewards (k of G correct, P = k(G − k)) give
// exactly GRPO's z-scores √((G − k)/k) and −√(k/(G − k)). A correct answer held with less confidence
// than the wrong ones is pushed up more than that, an overconfident wrong one down more, a correct
// answer that is already the most confident less. (A first form scaled each sample by its own pair
// count, 2/n_i: it gave ±1 at equal confidences but did not sum to 0 — one correct of 8 gave +1
// and seven −1 — and on the experiment grid it drove the policy from its 30 % warm start to 4 %,
// pushing probability away from every sampled answer; docs/experiments.md.) Noise masking: a pair already ordered by more than the margin m
// (c_i − c_j > m, `calibration_margin`) is dropped, so the logistic tail does not keep pushing the
// likelihood of answers that are ranked correctly — the overconfidence the paper sets out to fix.
// The batch AUC (fraction of within-group pairs whose confidence order agrees with the reward
// order, ties ½) is logged as `calibration_auc`.
// The preset: these advantages without the noise mask, GRPO's clip, seq-mean-token-mean. With the
// mask at 0.5 nats the grid's policy fell from its 30 % warm start to 5 %: a correct answer already
// ranked first loses all support while confident wrong answers keep being pushed down, so mass
// spreads to unsampled answers (end entropy 2.1 against GRPO's 1.35). Without it, 2/3 seeds reached
// the target at staleness 0 (docs/experiments.md). `calibration_margin` turns the mask on.

import Foundation

extension PresetInfo {
    static let calibrationPO = PresetInfo(name: "calibration-po", paper: "Calibration-Aware Policy Optimization for Reasoning LLMs",
                                          reference: "docs/algorithms.md calibration-po, CalibrationPO.swift", reconstructed: true) { c in
        c.calibrationAdvantage = true; c.aggregation = .seqMeanTokenMean
    }
}

/// 6. The calibration-aware advantages replace the batch's (needs rewards and group ids).
struct CalibrationAdvantages: KernelStage {
    func replaceAdvantages(_ p: inout KernelPass) {
        guard let r = p.batch.rewards, let ids = p.batch.groupIDs else { return }
        let conf = sequenceConfidence(detachedLogProbs: p.det, mask: p.sequenceMask, count: p.N, length: p.S)
        let cal = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: conf, margin: p.config.calibrationMargin.map(Double.init))
        p.seqAdv = cal.advantages.map { Float($0) }
        p.m.calibrationAUC = cal.auc; p.m.calibrationMaskedPairFraction = cal.maskedPairFraction
    }
}

/// Calibration-aware per-sequence advantages, the batch AUC and the fraction of masked pairs.
/// `confidence` is per sequence (nil = no loss token: advantage 0, not paired).
package func calibrationAdvantages(rewards: [Float], groupIDs: [Int32], confidence: [Double?], margin: Double?)
    -> (advantages: [Double], auc: Double?, maskedPairFraction: Double) {
    var adv = [Double](repeating: 0, count: rewards.count)
    var pairs = 0, masked = 0, agree = 0.0
    func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    for members in groupMembers(groupIDs) {
        let live = members.filter { confidence[$0] != nil }
        var opposite = 0       // P: the group's pairs with different rewards
        for a in live.indices { for b in live.indices where b > a && rewards[live[a]] != rewards[live[b]] { opposite += 1 } }
        guard opposite > 0 else { continue }
        let scale = 2 / Double(opposite).squareRoot()
        for i in live {
            let ci = confidence[i]!
            var sum = 0.0
            for j in live where rewards[j] != rewards[i] {
                let cj = confidence[j]!
                let (hi, lo) = rewards[i] > rewards[j] ? (ci, cj) : (cj, ci)
                if let m = margin, hi - lo > m { continue }
                sum += rewards[i] > rewards[j] ? sigma(cj - ci) : -sigma(ci - cj)
            }
            adv[i] = scale * sum
        }
        for a in live.indices { for b in live.indices where b > a {
            let (i, j) = (live[a], live[b])
            guard rewards[i] != rewards[j] else { continue }
            pairs += 1
            let (hi, lo) = rewards[i] > rewards[j] ? (confidence[i]!, confidence[j]!) : (confidence[j]!, confidence[i]!)
            agree += hi > lo ? 1 : (hi == lo ? 0.5 : 0)
            if let m = margin, hi - lo > m { masked += 1 }
        } }
    }
    return (adv, pairs > 0 ? agree / Double(pairs) : nil, pairs > 0 ? Double(masked) / Double(pairs) : 0)
}

/// Mean detached log-likelihood of each sequence's loss tokens (nil for a sequence without any).
func sequenceConfidence(detachedLogProbs det: [Float], mask: [Float], count N: Int, length S: Int) -> [Double?] {
    (0..<N).map { i in
        var s = 0.0, n = 0
        for t in 0..<S where mask[i * S + t] != 0 { s += Double(det[i * S + t]); n += 1 }
        return n > 0 ? s / Double(n) : nil
    }
}
