// MDPO – Mirror Descent Policy Optimization (ALGORITHMS.md §5.17): unclipped importance
// surrogate minus (1/t_k) KL(π_θ ‖ π_k), π_k = the policy at the start of the iteration.
// In the kernel π_k is π_prox (reference decoupled*) or μ (reference behaviour).
//
// Two forms of the KL, switch `previous_kl`:
// * `input`: the policy computes the exact per-position KL over its full softmax and passes
//   it in; the kernel adds (1/t_k)·agg(KL) to the loss and returns dLoss/dKL per position
//   (`ObjectiveResult.dPreviousKL`); turning that into dLoss/dlogits is the policy's job.
// * `sampled`: only the sampled tokens' log-probs are known, and the samples come from π_k,
//   not π_θ, so §1.5's k3 (which needs samples from the first argument) does not apply
//   directly. With r = π_θ/π_k, KL(π_θ‖π_k) = E_{π_k}[r log r]; we use the non-negative
//   control-variate form φ(r) = r log r − r + 1 (E_{π_k}[r − 1] = 0), dφ/dlog r = r log r.
// Step size: t_k = t₀ · max(1 − k/K, min_fraction) with K = mdpo_anneal_steps (paper's on-policy
// schedule t_k = 1 − k/K [K]); constant t₀ when K is unset.

import Foundation

/// `1/t_k` at optimiser step `step`.
func mdpoCoefficient(_ config: ObjectiveConfig, step: Int) -> Double {
    var frac = 1.0
    if let k = config.mdpoAnnealSteps {
        frac = max(1 - Double(step) / Double(k), Double(config.mdpoMinFraction))
    }
    return 1 / (Double(config.mdpoStep) * frac)
}

/// Sampled KL(π_θ‖π_k) term for one token with log-ratio `logR` (value, d/dlog π_θ).
func previousKLSampled(logR: Double) -> (value: Double, dLog: Double) {
    let r = exp(logR)
    return (r * logR - r + 1, r * logR)
}
