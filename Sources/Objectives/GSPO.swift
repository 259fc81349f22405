// GSPO – Group Sequence Policy Optimization (ALGORITHMS.md §4.7): one length-normalised ratio per
// sequence, clipped like PPO (GRPO.swift's clip) in a narrow window, with the true gradient of the
// sequence ratio. The same sequence ratios serve ALP's unnormalised sum (§3.3; its straight-through
// gradient is ALP.swift's share):
//     Λ_i = Σ_t m_{i,t} log u_{i,t}            (sequence-sum, ALP)
//     Λ_i = (1/L_i) Σ_t m_{i,t} log u_{i,t}    (sequence-mean, GSPO: s_i = exp(Λ_i))
// Gradient modes (`sequence_gradient`):
//     sequence:          every token of i has x = exp(Λ_i) and dΛ_i/dlog π_t = 1 or 1/L_i, so the
//                        kernel hands each token c_i · Σ_t' ∂loss/∂log x_{i,t'} (GSPO's true gradient);
//     straight-through:  log x_{i,t} = sg(Λ_i) + log π_t − sg(log π_t), so each token receives only
//                        its own ∂loss/∂log x_{i,t} (ALP.swift).
// The sum runs over tokens kept after the sequence-level selections (staleness mask, dynamic
// sampling, D³S sample level), before the token-level ones (D³S token level, CAPO).
// The preset: sequence-mean, sequence gradient, window 1 − 3e-4 … 1 + 4e-4, seq-mean-token-mean.

extension PresetInfo {
    static let gspo = PresetInfo(name: "gspo", paper: "GSPO baseline", reference: "§4.7, GSPO.swift",
                                 reconstructed: false) { c in
        c.ratioLevel = .sequenceMean; c.sequenceGradient = .sequence
        c.clipLow = 3e-4; c.clipHigh = 4e-4; c.aggregation = .seqMeanTokenMean
    }
}

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

extension KernelPass {
    /// 3. Sequence ratios: every kept token of sequence i gets log x = clamp(Λ_i) (true gradient)
    /// or ALP's straight-through log-ratio; `seqCoef` holds dΛ_i/dlog π_t.
    mutating func sequenceRatios() {
        logX = [Double](repeating: 0, count: n); logXDet = logX
        flows = [Bool](repeating: false, count: n)
        seqCoef = [Double](repeating: 0, count: N)
        let mean = config.ratioLevel == .sequenceMean
        let live = sequenceLogRatios(uLive, keep: keep, count: N, length: S, mean: mean)
        let dt = sequenceLogRatios(uDet, keep: keep, count: N, length: S, mean: mean)
        for i in 0..<N { seqCoef[i] = mean ? (live.lengths[i] > 0 ? 1 / live.lengths[i] : 0) : 1 }
        for k in 0..<n where keep[k] != 0 {
            let i = k / S
            let raw = config.sequenceGradient == .sequence
                ? live.lambda[i] : straightThroughLogRatio(detachedLambda: dt.lambda[i], live: uLive[k], detached: uDet[k])
            logX[k] = clamp(raw); logXDet[k] = clamp(dt.lambda[i]); flows[k] = abs(raw) < C
        }
    }

    /// 6. The true sequence gradient: every token in the sequence sum (kept before token-level
    /// selection) receives c_i · Σ_t' ∂loss/∂log x_{i,t'} over the kept tokens whose gradient flows.
    mutating func sequenceGradient() {
        dlp = [Double](repeating: 0, count: n)
        var seqSum = [Double](repeating: 0, count: N)
        for k in kept where flows[k] { seqSum[k / S] += gLog[k] }
        for k in 0..<n where batch.mask[k] != 0 && seqKeep[k / S] { dlp[k] = seqCoef[k / S] * seqSum[k / S] }
    }
}
