// RPO – "Provably Mitigating Overoptimization in RLHF: Your SFT Loss is Implicitly an Adversarial
// Regularizer" (papers.txt; docs/algorithms.md "rpo"). The abstract [P]: the objective "combines:
// (i) a preference optimization loss that directly aligns the policy with human preference, and
// (ii) a supervised learning loss that explicitly imitates the policy with a (suitable) baseline
// distribution"; the SFT term is what keeps the policy from "overoptimization towards undesired
// responses". Here (i) is GRPO's policy loss on the sampled rows (our learner optimises a
// verifiable reward, not preferences; GRPO.swift) and the baseline distribution of (ii) is the
// task's demonstrations: per group with a reference, one demonstration row (prompt without any
// hint + reference; BatchAssembly.swift, proto/PROTOCOL.md §6.5.3). With D the demonstration
// tokens of the minibatch and η = `sft_coef`:
//   loss = loss_GRPO(sampled rows) + η · (1/|D|) Σ_{t∈D} (−log π_θ(y_t | x, y_<t))
//   ∂loss/∂log π_t = −η/|D|  for t ∈ D   (0 elsewhere from this term)
// The demonstration has no behaviour log-prob, so it takes no ratio, clip or staleness weight
// (Demonstrations.swift). Default η = 0.1 [R]: both terms are per-token means of O(1) gradients
// (|Â| has RMS 1 under GRPO's z-score in a group with signal; the SFT gradient is 1 per token), so η
// is roughly the demonstrations' share of the update; 0.1 keeps the reward term in charge, as a
// regulariser should be, where η ≈ 1 would make the update mostly supervised fine-tuning on the
// answers. Not tuned. Metrics: `demonstration_tokens`, `demonstration_nll`, `sft_term`.

import Foundation

extension PresetInfo {
    static let rpo = PresetInfo(
        name: "rpo", paper: "Provably Mitigating Overoptimization in RLHF: Your SFT Loss is Implicitly an Adversarial Regularizer",
        reference: "docs/algorithms.md rpo, RPO.swift", reconstructed: false) { c in
        c.sftCoef = 0.1
    }
}

/// RPO's SFT term on the demonstration rows: η times the mean −log π over their tokens.
struct RPOSFT: KernelStage {
    func demonstrate(_ d: inout DemonstrationPass) {
        let eta = Double(d.config.sftCoef)
        guard eta > 0, !d.tokens.isEmpty else { return }
        let term = eta * d.meanNLL
        let g = -eta / Double(d.tokens.count)
        for k in d.tokens { d.dlp[k] += g }
        d.loss += term
        d.m.sftTerm = term
    }
}
