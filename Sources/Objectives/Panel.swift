// Fills the ALGORITHMS.md §6 common panel from the kernel's intermediate values: ratio
// quantiles and variances, bound fractions, KL to behaviour (k1, k3), staleness weights,
// effective sample size, staleness histogram with per-bucket mean effective weight, and
// the advantage statistics the batch carries (zero-variance groups, BNPO α/β).

import Foundation

func fillPanel(_ m: inout ObjectiveMetrics, config: ObjectiveConfig, batch: TokenBatch, kept: [Int], xs: [Double],
               vars: (central: Double, one: Double, mean: Double), det: [Float],
               weights sw: (weights: [Double], status: [WeightStatus]),
               flags: (Int, Int, Int), staleness: [Int]?, windows: [(low: Double, high: Double)]) {
    let S = batch.length, M = Double(kept.count)
    m.tokens = kept.count
    m.sequences = Set(kept.map { $0 / max(S, 1) }).count
    let total = batch.mask.reduce(0, +)
    m.maskedFraction = total > 0 ? 1 - M / Double(total) : 0
    if let st = batch.advantageStats {
        m.betaAlpha = st.betaAlpha; m.betaBeta = st.betaBeta
        if m.zeroVarianceGroupFraction == nil { m.zeroVarianceGroupFraction = st.zeroVarianceGroupFraction }
    }
    if config.bound == .etr, !windows.isEmpty {
        m.etrEpsilonMean = windows.reduce(0) { $0 + ($1.high - 1) } / Double(windows.count)
    }
    guard M > 0 else { return }
    let sorted = xs.sorted()
    m.ratioMean = vars.mean; m.ratioMin = sorted.first!; m.ratioMax = sorted.last!
    m.ratioQ01 = quantile(sorted: sorted, 0.01); m.ratioQ05 = quantile(sorted: sorted, 0.05)
    m.ratioQ50 = quantile(sorted: sorted, 0.5); m.ratioQ95 = quantile(sorted: sorted, 0.95)
    m.ratioQ99 = quantile(sorted: sorted, 0.99); m.ratioQ999 = quantile(sorted: sorted, 0.999)
    m.ratioVarCentral = vars.central; m.ratioVarOne = vars.one
    m.clipFractionLow = Double(flags.0) / M
    m.clipFractionHigh = Double(flags.1) / M
    m.dualClipFraction = Double(flags.2) / M
    let lo = 1 - Double(config.clipLow), hi = 1 + Double(config.clipHigh)
    m.outsideWindowFraction = Double(xs.filter { $0 < lo || $0 > hi }.count) / M

    // KL(μ ‖ π_θ) from behaviour samples, with the current (detached) log-probs.
    let C = Double(config.logRatioClamp)
    var k1 = 0.0, k3 = 0.0
    for k in kept {
        let lr = min(max(Double(det[k]) - Double(batch.behaviourLogProbs[k]), -C), C)
        k1 += -lr; k3 += exp(lr) - 1 - lr
    }
    m.klBehaviourK1 = k1 / M; m.klBehaviourK3 = k3 / M

    var wSum = 0.0, wMax = 0.0, eSum = 0.0, e2Sum = 0.0
    for (j, k) in kept.enumerated() {
        let w = sw.weights[k]
        wSum += w; wMax = max(wMax, w)
        let e = w * xs[j]; eSum += e; e2Sum += e * e
    }
    m.behaviourWeightMean = wSum / M; m.behaviourWeightMax = wMax
    m.weightTruncatedFraction = Double(kept.filter { sw.status[$0] == .truncated }.count) / M
    m.weightMaskedFraction = Double(kept.filter { sw.status[$0] == .masked }.count) / M
    m.effectiveSampleSize = e2Sum > 0 ? eSum * eSum / (M * e2Sum) : 0

    if let s = staleness {
        var counts = [Int](repeating: 0, count: stalenessBuckets)
        var wsum = [Double](repeating: 0, count: stalenessBuckets), wn = wsum
        var effective = [Double](repeating: 0, count: batch.count * S)
        for (j, k) in kept.enumerated() { effective[k] = sw.weights[k] * xs[j] }
        var seqs = 0, sSum = 0
        for i in 0..<batch.count {
            let b = ObjectiveMetrics.bucket(ofStaleness: s[i])
            var any = false
            for t in 0..<S where batch.mask[i * S + t] != 0 {
                any = true; wsum[b] += effective[i * S + t]; wn[b] += 1
            }
            if any { counts[b] += 1; seqs += 1; sSum += s[i] }
        }
        m.stalenessCounts = counts
        m.stalenessWeights = (0..<stalenessBuckets).map { wn[$0] > 0 ? wsum[$0] / wn[$0] : 0 }
        m.stalenessMean = seqs > 0 ? Double(sSum) / Double(seqs) : 0
    }
}
