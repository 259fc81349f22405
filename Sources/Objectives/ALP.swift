// ALP – Adaptive Layerwise Perturbation (ALGORITHMS.md §3). The perturbation itself lives in
// the policy: Gaussian noise σ_l·ε on every block's residual input, σ_l = exp(s_l) learnable,
// only in the update forward pass (§3.2). The kernel's share is the loss (§3.3): the ratio
// of the *perturbed* log-probs (which the policy passes in as `logProbs`) to the rollout
// log-probs μ, at sequence level with the straight-through gradient (GSPO.swift), bounded by
// dual-clip PPO with an asymmetric window (PPOClip.swift). Preset `alp`: sequence-sum,
// ε_low 0.2, ε_high 0.28, dual clip c = 3 (the multi-turn script's c; the 1.5B math script
// uses 10), token-mean, GRPO advantages, KL off; σ₀ = 0.02, perturbation LR 1e-2 (§3.4).

/// The perturbation settings the policy reads from the configuration (nil when ALP is off).
public struct ALPPerturbation: Codable, Sendable, Equatable {
    /// Initial per-layer noise scale σ₀ (s_l = log σ₀).
    public var sigma0: Float
    /// Learning rate of the log-scales s_l (`perturb_lr`).
    public var learningRate: Float
    /// false: σ fixed at σ₀ (the non-adaptive ablation).
    public var learnable: Bool
}

extension ObjectiveConfig {
    /// ALP perturbation settings when `alp_sigma0` is set.
    public var alpPerturbation: ALPPerturbation? {
        guard let s = alpSigma0 else { return nil }
        return ALPPerturbation(sigma0: s, learningRate: alpPerturbLR ?? 0, learnable: alpLearnable)
    }
}
