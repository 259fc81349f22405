// ALP – Adaptive Layerwise Perturbation (ALGORITHMS.md §3). The perturbation itself lives in
// the policy: Gaussian noise σ_l·ε on every block's residual input, σ_l = exp(s_l) learnable,
// only in the update forward pass (§3.2). The kernel's share is the loss (§3.3): the ratio
// of the *perturbed* log-probs (which the policy passes in as `logProbs`) to the rollout
// log-probs μ, at sequence level (GSPO.swift's sequence-sum Λ_i) with the straight-through gradient
//     log x_{i,t} = sg(Λ_i) + log π_t − sg(log π_t)          (each token receives its own term)
// bounded by dual-clip PPO (GRPO.swift's clip, PPO.swift's floor) with an asymmetric window.
// Preset `alp`: sequence-sum, ε_low 0.2, ε_high 0.28, dual clip c = 3 (the multi-turn script's c;
// the 1.5B math script uses 10), token-mean, GRPO advantages, KL off, perturbation LR 1e-2 (§3.4),
// and σ₀ = 1e-3, not the authors' 0.02: their σ assumes a hidden-state RMS ≈ 1; our residual stream
// is a few hundredths, where 0.02 is as large as the signal and ALP did not learn (docs/experiments.md).

import Policy

extension PresetInfo {
    static let alp = PresetInfo(name: "alp", paper: "Adaptive Layerwise Perturbation: Unifying Off-Policy Corrections for LLM RL",
                                reference: "§3.3–3.4, ALP.swift", reconstructed: false) { c in
        c.ratioLevel = .sequenceSum; c.sequenceGradient = .straightThrough
        c.clipLow = 0.2; c.clipHigh = 0.28; c.dualClip = 3
        c.alpSigma0 = 1e-3; c.alpPerturbLR = 1e-2; c.alpLearnable = true
    }
}

/// The straight-through log-ratio of one token: sg(Λ_i) + log u_t − sg(log u_t).
func straightThroughLogRatio(detachedLambda: Double, live: Double, detached: Double) -> Double {
    detachedLambda + live - detached
}

extension ObjectiveConfig {
    /// The policy's perturbation (Sources/Policy/ALP.swift) when `alp_sigma0` > 0: every block,
    /// σ_l starting at σ₀, log-scales trained at `alp_perturb_lr` (1e-2 when unset) unless
    /// `alp_learnable = false`; the noise seed is fixed so a run replays.
    package var alpPerturbation: ALPPerturbation? {
        guard let s = alpSigma0, s > 0 else { return nil }
        return ALPPerturbation(enabled: true, sigma0: s, learnable: alpLearnable, perturbLR: alpPerturbLR ?? 1e-2, seed: 0xA1F)
    }
}
