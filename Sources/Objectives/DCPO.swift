// DCPO – "Distribution-Centric Policy Optimization Dominates Exploration-Exploitation Trade-off"
// (papers.txt). The abstract [P]: DCPO "reformulates entropy regulation as distribution-level
// regularization" and "achieves controllable entropy fully on-policy without sampling from
// external distributions", exploration "guided by a 'better' target distribution".
// Our reconstruction [R] (docs/algorithms.md "dcpo"): the target distribution at each position is
// the policy at temperature τ, q_τ = softmax(z/τ), and the regulariser the exact cross-entropy
// CE(sg(q_τ), π) over the whole vocabulary (no sampling). Its logit gradient is π − q_τ, and
// since ∂q_τ/∂τ at τ = 1 is −p ∘ (log p + H) = dH/dz, to first order in τ − 1 it equals
// −(τ − 1)·dH/dz: an entropy bonus of weight τ − 1. τ is chosen on-policy from the batch entropy:
//   H_B = Σ_k w_k H_k / Σ_k w_k (detached),   H* = dcpo_target_entropy, or ratio × H_B of step 0
//   τ_k − 1 = α·clip((H* − H_B)/H*, lo, 1)          (α = dcpo_alpha; lo = −1 with
//                                                    dcpo_two_sided, else 0)
//   loss += −(τ_k − 1)·agg(H),   dLoss/dH_t = −(τ_k − 1)·w_t
// Below the target the policy is pushed towards a flatter target distribution (it resists
// entropy collapse), above it — two-sided only — towards a sharper one; at the target the term
// vanishes. One-sided is our default: GRPO lowers entropy by itself, and the two-sided rule with
// a target below the starting entropy would speed that up at the start.
// The preset: entropy held near half its starting value, gain α = 0.05, one-sided.

import Foundation

extension PresetInfo {
    static let dcpo = PresetInfo(name: "dcpo", paper: "Distribution-Centric Policy Optimization Dominates Exploration-Exploitation Trade-off",
                                 reference: "docs/algorithms.md dcpo, DCPO.swift", reconstructed: true) { c in
        c.dcpoAlpha = 0.05; c.dcpoTargetRatio = 0.5
    }
}

/// DCPO in the kernel: 7. the bonus of weight τ − 1 from the detached batch entropy; after the
/// first step with tokens, the initial entropy (base of the relative target).
struct DCPOControl: KernelStage {
    func regularise(_ p: inout KernelPass) {
        guard let alpha = p.config.dcpoAlpha, let h = p.batch.entropy, let hB = p.batchEntropy() else { return }
        let target = dcpoTarget(p.config, initialEntropy: p.state.initialEntropy ?? hB.detached)
        let coef = dcpoCoefficient(alpha: Double(alpha), batchEntropy: hB.detached, target: target, twoSided: p.config.dcpoTwoSided)
        p.m.dcpoCoef = coef; p.m.dcpoTargetEntropy = target
        p.entropyBonus(coef, entropy: h)
    }

    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {
        guard result.metrics.tokens > 0, let hB = result.metrics.entropyAggregated, state.initialEntropy == nil else { return }
        state.initialEntropy = hB
    }
}

/// DCPO's target entropy: the absolute setting, else `ratio` × the first step's batch entropy.
package func dcpoTarget(_ config: ObjectiveConfig, initialEntropy h0: Double) -> Double {
    config.dcpoTargetEntropy.map(Double.init) ?? Double(config.dcpoTargetRatio) * h0
}

/// DCPO's entropy weight τ − 1 = α·clip((H* − H_B)/H*, lo, 1), lo = −1 two-sided, else 0
/// (0 when the target is 0).
package func dcpoCoefficient(alpha: Double, batchEntropy hB: Double, target: Double, twoSided: Bool) -> Double {
    guard target > 0 else { return 0 }
    return alpha * min(1, max(twoSided ? -1 : 0, (target - hB) / target))
}
