// Sequence-level ratios: GSPO's length-normalised ratio (ALGORITHMS.md §4.7) and ALP's
// unnormalised sequence sum (§3.3).
//     Λ_i = Σ_t m_{i,t} log u_{i,t}            (sequence-sum, ALP)
//     Λ_i = (1/L_i) Σ_t m_{i,t} log u_{i,t}    (sequence-mean, GSPO: s_i = exp(Λ_i))
// Gradient modes (`sequence_gradient`):
//     sequence:          every token of i has x = exp(Λ_i) and dΛ_i/dlog π_t = 1 or 1/L_i, so the
//                        kernel hands each token c_i · Σ_t' ∂loss/∂log x_{i,t'} (GSPO's true gradient);
//     straight-through:  log x_{i,t} = sg(Λ_i) + log π_t − sg(log π_t), so each token receives only
//                        its own ∂loss/∂log x_{i,t} (ALP's code, §3.3).
// The sum runs over tokens kept after the sequence-level selections (cap, dynamic sampling, D³S
// sample level), before the token-level ones (D³S token level, CAPO).

/// Λ_i per sequence from per-position log-ratios over the kept tokens, and the token counts L_i.
func sequenceLogRatios(_ logU: [Double], keep: [Float], count: Int, length: Int,
                       mean: Bool) -> (lambda: [Double], lengths: [Double]) {
    var lam = [Double](repeating: 0, count: count), len = [Double](repeating: 0, count: count)
    for i in 0..<count {
        for t in 0..<length where keep[i * length + t] != 0 {
            lam[i] += logU[i * length + t]; len[i] += 1
        }
        if mean, len[i] > 0 { lam[i] /= len[i] }
    }
    return (lam, len)
}
