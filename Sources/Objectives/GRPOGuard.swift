// GRPO-Guard – "GRPO-Guard: Mitigating Implicit Over-Optimization in Flow Matching via Regulated
// Clipping" (papers.txt). The abstract [P]: the importance ratio's distribution is "left-shifted"
// ("its mean falls below 1"), which "prevents positive-advantage samples from entering the clipped
// region"; GRPO-Guard "incorporates ratio normalization, which restores a balanced and
// step-consistent importance ratio, ensuring that PPO clipping properly constrains harmful updates",
// plus "a gradient reweighting strategy [that] equalizes policy gradients over noise conditions".
// Token form for language models [R] (docs/algorithms.md "grpo-guard"): the ratio of every kept
// token is divided by the minibatch's detached geometric-mean ratio before the clip,
//   b = mean_kept sg(log r),   log x_t = log r_t − b,
// so the clip window is centred on the batch's actual ratio distribution; the gradient through
// log r_t is unchanged (b is detached). The paper's reweighting rescales each denoising step by its
// noise level; a language model's tokens share one sampling temperature, so there is no noise
// schedule to equalise and it is left out.
// The preset: GRPO (GRPO.swift: clip 0.2, token-mean) around the batch-centred token ratio.

import Foundation

extension PresetInfo {
    static let grpoGuard = PresetInfo(name: "grpo-guard", paper: "GRPO-Guard: Mitigating Implicit Over-Optimization in Flow Matching via Regulated Clipping",
                                      reference: "docs/algorithms.md grpo-guard, GRPOGuard.swift", reconstructed: true) { c in
        c.ratioNorm = true
    }
}

/// 3. The shift b of the token log-ratios (`ratio_norm`; needs `ratio_level = token`).
struct GRPOGuardCentring: KernelStage {
    func centreRatios(_ p: inout KernelPass) {
        let b = guardRatioShift(detachedLogRatios: p.uDet, keep: p.keep)
        p.ratioShift = b
        p.m.ratioNormShift = b
    }
}

/// GRPO-Guard's shift b = mean of the detached log-ratios over the kept positions (0 when none).
package func guardRatioShift(detachedLogRatios u: [Double], keep: [Float]) -> Double {
    var s = 0.0, n = 0
    for k in u.indices where keep[k] != 0 { s += u[k]; n += 1 }
    return n > 0 ? s / Double(n) : 0
}
