// The preset registry: every named objective with the paper it implements (title as in the seed
// collection, shared/seeds/papers.txt, or the baseline it is), where its formula is written down,
// and whether the update rule is our reconstruction [R]. `presetNames`, the CLI's help text and
// `tributary objectives` are generated from this one table.

/// One row of the preset table.
public struct PresetInfo: Codable, Sendable, Equatable {
    /// The `--objective` name.
    public var name: String
    /// The paper's title as in the seed collection, or the baseline's name.
    public var paper: String
    /// Where the formula is: the design section (ALGORITHMS.md §) and the source file.
    public var reference: String
    /// True when the update rule is our reconstruction (docs/algorithms.md gives the reasoning).
    public var reconstructed: Bool
}

extension ObjectiveConfig {
    /// Every preset, in the order `tributary objectives` lists them.
    public static let presetTable: [PresetInfo] = [
        PresetInfo(name: "grpo", paper: "GRPO (DeepSeekMath) baseline", reference: "§4.3, PPOClip.swift", reconstructed: false),
        PresetInfo(name: "dr-grpo", paper: "Dr. GRPO baseline", reference: "§4.4, Advantages.swift", reconstructed: false),
        PresetInfo(name: "dapo", paper: "DAPO baseline", reference: "§4.6, DAPO.swift", reconstructed: false),
        PresetInfo(name: "gspo", paper: "GSPO baseline", reference: "§4.7, GSPO.swift", reconstructed: false),
        PresetInfo(name: "rloo", paper: "RLOO baseline", reference: "§4.5, Advantages.swift", reconstructed: false),
        PresetInfo(name: "ppo", paper: "PPO (clip, dual clip) baseline", reference: "§4.1–4.2, PPOClip.swift", reconstructed: false),
        PresetInfo(name: "decoupled-ppo", paper: "AReaL decoupled PPO baseline", reference: "§4.10, AReaL.swift", reconstructed: false),
        PresetInfo(name: "tis", paper: "Truncated importance sampling baseline", reference: "§4.8, StalenessWeights.swift", reconstructed: false),
        PresetInfo(name: "r2vpo", paper: "Ratio-Variance Regularized Policy Optimization for Efficient LLM Fine-tuning",
                   reference: "§2.3–2.5, R2VPO.swift", reconstructed: true),
        PresetInfo(name: "r2vpo-decoupled", paper: "Ratio-Variance Regularized Policy Optimization for Efficient LLM Fine-tuning",
                   reference: "§2.6, R2VPO.swift", reconstructed: true),
        PresetInfo(name: "alp", paper: "Adaptive Layerwise Perturbation: Unifying Off-Policy Corrections for LLM RL",
                   reference: "§3.3–3.4, ALP.swift", reconstructed: false),
        PresetInfo(name: "gbpo", paper: "Bounded Ratio Reinforcement Learning", reference: "§5.1, GBPO.swift", reconstructed: true),
        PresetInfo(name: "mhpo", paper: "MHPO: Modulated Hazard-aware Policy Optimization for Stable Reinforcement Learning",
                   reference: "§5.2, MHPO.swift", reconstructed: true),
        PresetInfo(name: "etr", paper: "ETR: Outcome-Guided Elastic Trust Regions for Policy Optimization",
                   reference: "§5.3, ETR.swift", reconstructed: true),
        PresetInfo(name: "bnpo", paper: "BNPO: Beta Normalization Policy Optimization", reference: "§5.4, BNPO.swift", reconstructed: false),
        PresetInfo(name: "mdpo", paper: "Mirror Descent Policy Optimization", reference: "§5.17, MDPO.swift", reconstructed: false),
        PresetInfo(name: "capo", paper: "Stabilizing Policy Gradients for Sample-Efficient Reinforcement Learning in LLM Reasoning",
                   reference: "§5.7, CAPO.swift", reconstructed: true),
        PresetInfo(name: "d3s", paper: "Learning More with Less: A Dynamic Dual-Level Down-Sampling Framework for Efficient Policy Optimization",
                   reference: "§5.5, D3S.swift", reconstructed: true),
        PresetInfo(name: "epo", paper: "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning",
                   reference: "docs/algorithms.md epo, EPO.swift", reconstructed: true),
        PresetInfo(name: "empg", paper: "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents",
                   reference: "docs/algorithms.md empg, EMPG.swift", reconstructed: true),
        PresetInfo(name: "safe", paper: "SAFE: Stable Alignment Finetuning with Entropy-Aware Predictive Control for RLHF",
                   reference: "docs/algorithms.md safe, SAFE.swift", reconstructed: true),
        PresetInfo(name: "dcpo", paper: "Distribution-Centric Policy Optimization Dominates Exploration-Exploitation Trade-off",
                   reference: "docs/algorithms.md dcpo, DCPO.swift", reconstructed: true),
        PresetInfo(name: "grpo-guard", paper: "GRPO-Guard: Mitigating Implicit Over-Optimization in Flow Matching via Regulated Clipping",
                   reference: "docs/algorithms.md grpo-guard, GRPOGuard.swift", reconstructed: true),
        PresetInfo(name: "calibration-po", paper: "Calibration-Aware Policy Optimization for Reasoning LLMs",
                   reference: "docs/algorithms.md calibration-po, CalibrationPO.swift", reconstructed: true),
        PresetInfo(name: "oblr-po", paper: "OBLR-PO: A Theoretical Framework for Stable Reinforcement Learning",
                   reference: "docs/algorithms.md oblr-po, OBLRPO.swift", reconstructed: true),
    ]

    /// Names accepted by `preset(_:)`, from `presetTable`.
    public static let presetNames: [String] = presetTable.map(\.name)
}
