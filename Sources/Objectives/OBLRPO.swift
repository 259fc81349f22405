// OBLR-PO – "OBLR-PO: A Theoretical Framework for Stable Reinforcement Learning" (papers.txt).
// The abstract [P]: "the variance-optimal baseline is a gradient-weighted estimator", and "an
// adaptive learning-rate schedule governed by the signal-to-noise ratio (SNR) of gradients".
// The baseline here; the learning-rate rule needs gradient statistics across steps and belongs to
// the trainer (not built). The variance-optimal baseline of a score-function estimator is the
// classical b* = E[‖∇log π(y)‖²·R] / E[‖∇log π(y)‖²]. Our per-group form [R]
// (docs/algorithms.md "oblr-po"): per-sample gradient norms over all weights are not available
// without a backward per sample, so the weight is the squared norm of the score in logit space in
// its two-outcome form, summed over the completion's loss tokens (p_t = π(y_t), detached),
//   w_i = Σ_t (1 − p_t)²          (the exact ‖e_y − p‖² = (1 − p_y)² + Σ_{v≠y} p_v² ≥ this)
//   b_g = Σ_i w_i R_i / Σ_i w_i   (the group mean when every w_i is 0)
//   A_i = (R_i − b_g) / (std_g + ε_std)       (GRPO's scale, population std)
// Confident completions (small w) barely move the baseline; the uncertain ones, whose gradients
// dominate the estimator's variance, set it.
// The preset: these advantages with GRPO's ratio, clip 0.2 and token-mean (GRPO.swift).

import Foundation

extension PresetInfo {
    static let oblrPO = PresetInfo(name: "oblr-po", paper: "OBLR-PO: A Theoretical Framework for Stable Reinforcement Learning",
                                   reference: "docs/algorithms.md oblr-po, OBLRPO.swift", reconstructed: true) { c in
        c.oblrBaseline = true
    }
}

/// 6. The gradient-weighted-baseline advantages replace the batch's (needs rewards and group ids).
struct OBLRBaseline: KernelStage {
    func replaceAdvantages(_ p: inout KernelPass) {
        guard let r = p.batch.rewards, let ids = p.batch.groupIDs else { return }
        let w = oblrWeights(detachedLogProbs: p.det, mask: p.sequenceMask, count: p.N, length: p.S)
        let o = oblrAdvantages(rewards: r, groupIDs: ids, weights: w, epsStd: Double(p.config.epsStd))
        p.seqAdv = o.advantages.map { Float($0) }
        p.m.oblrBaselineShift = o.baselineShift
    }
}

/// Per-sequence advantages with the gradient-weighted baseline, and the mean |b_g − mean_g R| over
/// groups with reward variance (how far the baseline moved from GRPO's).
package func oblrAdvantages(rewards: [Float], groupIDs: [Int32], weights w: [Double], epsStd: Double)
    -> (advantages: [Double], baselineShift: Double) {
    var adv = [Double](repeating: 0, count: rewards.count)
    var shift = 0.0, groups = 0
    for members in groupMembers(groupIDs) {
        let r = members.map { Double(rewards[$0]) }
        let mean = r.reduce(0, +) / Double(r.count)
        let std = (r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count)).squareRoot()
        guard std > 0 else { continue }
        let wsum = members.reduce(0) { $0 + w[$1] }
        let b = wsum > 0 ? zip(members, r).reduce(0) { $0 + w[$1.0] * $1.1 } / wsum : mean
        for (i, ri) in zip(members, r) { adv[i] = (ri - b) / (std + epsStd) }
        shift += abs(b - mean); groups += 1
    }
    return (adv, groups > 0 ? shift / Double(groups) : 0)
}

/// OBLR-PO's per-sequence weight w_i = Σ_t (1 − π(y_t))² over the loss tokens (detached log-probs).
func oblrWeights(detachedLogProbs det: [Float], mask: [Float], count N: Int, length S: Int) -> [Double] {
    (0..<N).map { i in
        var s = 0.0
        for t in 0..<S where mask[i * S + t] != 0 { let q = 1 - exp(Double(det[i * S + t])); s += q * q }
        return s
    }
}
