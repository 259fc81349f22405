// Dr. GRPO – "GRPO done right" (ALGORITHMS.md §4.4): GRPO without its two length and difficulty
// biases. The group's rewards are only centred, not divided by their std,
//     Â_i = R_i − mean_g R
// and the loss is summed over tokens and divided by a constant L_norm instead of each sequence's
// own length (`seq-mean-token-sum-norm`, Aggregation.swift). Ratio and clip are GRPO's (GRPO.swift).
// The preset: mean-only advantages, `seq-mean-token-sum-norm` (L_norm = the padded length unless
// `length_norm` is set), clip 0.2, no KL.

extension PresetInfo {
    static let drGRPO = PresetInfo(name: "dr-grpo", paper: "Dr. GRPO baseline", reference: "§4.4, DrGRPO.swift",
                                   reconstructed: false) { c in
        c.advantage = .drGRPO; c.aggregation = .seqMeanTokenSumNorm
    }
}

/// Dr. GRPO's mean-only advantages of one group's rewards `r` with mean `mean`.
func drGRPOAdvantages(_ r: [Double], mean: Double) -> [Double] {
    r.map { $0 - mean }
}
