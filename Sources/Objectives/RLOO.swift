// RLOO – REINFORCE leave-one-out (ALGORITHMS.md §4.5): each sample's baseline is the mean reward
// of the other G − 1 samples of its group,
//     Â_i = R_i − mean_{j≠i} R_j = (G/(G−1))·(R_i − mean_g R)
// (a group of one has no baseline and no signal: Â = 0). The loss is the sequence loss
// (`seq-mean-token-sum`, Aggregation.swift) with GRPO's ratio and clip (GRPO.swift) so that the
// minibatches of several epochs can reuse the samples. The preset: leave-one-out advantages,
// `seq-mean-token-sum`, clip 0.2.

extension PresetInfo {
    static let rloo = PresetInfo(name: "rloo", paper: "RLOO baseline", reference: "§4.5, RLOO.swift",
                                 reconstructed: false) { c in
        c.advantage = .rloo; c.aggregation = .seqMeanTokenSum
    }
}

/// RLOO's leave-one-out advantages of one group's rewards `r` with mean `mean`.
func rlooAdvantages(_ r: [Double], mean: Double) -> [Double] {
    let n = Double(r.count)
    let scale = r.count > 1 ? n / (n - 1) : 0
    return r.map { scale * ($0 - mean) }
}
