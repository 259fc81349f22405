// CAPO (curvature-aware) masking (ALGORITHMS.md §5.7). The paper predicts, with a last-layer
// curvature model, which tokens would push the update outside a local trust region and
// masks them. Our proxy is a RECONSTRUCTION [R]:
//   the gradient of the token's surrogate with respect to its logits is ≈ Â·x·(e_y − p), and
//   the predicted KL of a small step along it is ∝ (Â·x)² · c_t with the last-layer
//   Gauss–Newton curvature c_t = (e_y − p)ᵀ(diag p − p pᵀ)(e_y − p). The mask scores a token
//   by x² · c_t, that predicted KL per unit of advantage: which tokens' logits the policy is
//   sensitive to, whatever the reward said. Scoring with Â² as well (the first form) masks the
//   tokens of the highest-|Â| samples, and under GRPO's z-scores those are the rare correct
//   samples of sparse groups (Â = +2.65 against −0.38 for one correct of 8): on the grid the
//   policy fell from its 30 % warm start to 1 % while the unmasked kernel matched GRPO exactly
//   (docs/experiments.md).
//   c_t comes from the policy (`curvature` input, exact over a small vocabulary) or, without
//   it, from a two-outcome proxy with p = π(y_t): c_t ≈ 4 p (1 − p)³.
//   Tokens whose score exceeds `capo_threshold` × the batch mean score are masked.
// Scores use detached values, so the mask is a constant of the step.
// The preset: GRPO's clip (GRPO.swift) with the curvature-aware mask at 4 × the batch mean.

import Foundation

extension PresetInfo {
    static let capo = PresetInfo(name: "capo", paper: "Stabilizing Policy Gradients for Sample-Efficient Reinforcement Learning in LLM Reasoning",
                                 reference: "§5.7, CAPO.swift", reconstructed: true) { c in
        c.capoThreshold = 4
    }
}

/// 4. CAPO's token mask, from the detached bounded ratio of the tokens still kept.
struct CAPOMask: KernelStage {
    func selectTokens(_ p: inout KernelPass) {
        guard let th = p.config.capoThreshold else { return }
        let before = p.keep.reduce(0, +)
        let (sel, rejected) = capoKeep(keep: p.keep, logX: p.logXDet,
                                       detachedLogProbs: p.det, curvature: p.batch.curvature, length: p.S,
                                       threshold: Double(th))
        for k in 0..<p.n where !sel[k] { p.keep[k] = 0 }
        p.m.capoRejectedFraction = before > 0 ? Double(rejected) / Double(before) : 0
    }
}

/// Per-token keep flags (true = keep) and the rejected count.
func capoKeep(keep: [Float], logX: [Double], detachedLogProbs: [Float],
              curvature: [Float]?, length: Int, threshold: Double) -> ([Bool], Int) {
    var score = [Double](repeating: 0, count: keep.count)
    var total = 0.0, m = 0.0
    for k in 0..<keep.count where keep[k] != 0 {
        let c: Double
        if let curvature { c = Double(curvature[k]) } else {
            let p = min(1, Double(exp(detachedLogProbs[k])))
            c = 4 * p * (1 - p) * (1 - p) * (1 - p)
        }
        let x = exp(logX[k])
        score[k] = x * x * c; total += score[k]; m += 1
    }
    var out = keep.map { $0 != 0 }
    guard m > 0, total > 0 else { return (out, 0) }
    let cut = threshold * total / m
    var rejected = 0
    for k in 0..<keep.count where out[k] && score[k] > cut { out[k] = false; rejected += 1 }
    return (out, rejected)
}
