// OBLR-PO – "OBLR-PO: A Theoretical Framework for Stable Reinforcement Learning" (papers.txt;
// ALGORITHMS.md §5.10). The abstract [P]: "the variance-optimal baseline is a gradient-weighted
// estimator", and "an adaptive learning-rate schedule governed by the signal-to-noise ratio (SNR)
// of gradients". Both are here.
// The baseline. The variance-optimal baseline of a score-function estimator is the classical
// b* = E[‖∇log π(y)‖²·R] / E[‖∇log π(y)‖²]. Our per-group form [R] (docs/algorithms.md "oblr-po"):
// per-sample gradient norms over all weights are not available without a backward per sample, so
// the weight is the squared norm of the score in logit space in its two-outcome form, summed over
// the completion's loss tokens (p_t = π(y_t), detached),
//   w_i = Σ_t (1 − p_t)²          (the exact ‖e_y − p‖² = (1 − p_y)² + Σ_{v≠y} p_v² ≥ this)
//   b_g = Σ_i w_i R_i / Σ_i w_i   (the group mean when every w_i is 0)
//   A_i = (R_i − b_g) / (std_g + ε_std)       (GRPO's scale, population std)
// Confident completions (small w) barely move the baseline; the uncertain ones, whose gradients
// dominate the estimator's variance, set it.
// The learning rate [R] (`oblr_lr = snr`). Each optimiser step uses one minibatch gradient g, so
// the SNR that governs its step is that of g: ‖E g‖² / E‖g − E g‖². From the n ≥ 2 minibatch
// gradients g_1…g_n of an update (taken before the norm clip; `GradientMoments`), unbiasedly:
//   ḡ = mean g_i,  σ̂² = Σ‖g_i − ḡ‖² / (n − 1),  signal = max(0, ‖ḡ‖² − σ̂²/n),  SNR = signal / σ̂²
//   SNR̄ ← β·SNR̄ + (1 − β)·SNR        (β = oblr_snr_ema 0.9; the first update's SNR starts it)
//   the next update's learning rate × clamp(SNR̄ / (1 + SNR̄), s_min, 1)   (s_min = oblr_lr_min 0.1)
// so pure noise steps at s_min·lr and a clean gradient at the full lr; before the first estimate
// the factor is 1. The −σ̂²/n removes the noise ‖ḡ‖² carries (with the plain ‖ḡ‖²/mean‖g_i − ḡ‖²,
// two pure-noise gradients give SNR ≈ 1 and a factor ≈ ½). The gradients of one update are taken
// at successive weights, so the drift between them counts as noise (a conservative bias); with
// several epochs the same rows recur, which lowers the noise estimate. The trainer applies the
// factor to AdamW's learning rate and needs `minibatches ≥ 2` (PolicyTrainer rejects fewer).
// The preset: both, with GRPO's ratio, clip 0.2 and token-mean (GRPO.swift).

import Foundation

extension PresetInfo {
    static let oblrPO = PresetInfo(name: "oblr-po", paper: "OBLR-PO: A Theoretical Framework for Stable Reinforcement Learning",
                                   reference: "docs/algorithms.md oblr-po, OBLRPO.swift", reconstructed: true) { c in
        c.oblrBaseline = true; c.oblrLR = .snr
    }
}

/// 6. The gradient-weighted-baseline advantages replace the batch's (needs rewards and group ids).
struct OBLRBaseline: KernelStage {
    func replaceAdvantages(_ p: inout KernelPass) {
        guard let r = p.batch.rewards, let ids = p.batch.groupIDs else { return }
        let w = oblrWeights(detachedLogProbs: p.det, mask: p.sequenceMask, count: p.N, length: p.S)
        let o = oblrAdvantages(rewards: r, groupIDs: ids, weights: w, epsStd: Double(p.config.epsStd))
        p.seqAdv = o.advantages.map { Float($0) }
        p.m.oblrBaselineShift = o.baselineShift
    }
}

/// Per-sequence advantages with the gradient-weighted baseline, and the mean |b_g − mean_g R| over
/// groups with reward variance (how far the baseline moved from GRPO's).
package func oblrAdvantages(rewards: [Float], groupIDs: [Int32], weights w: [Double], epsStd: Double)
    -> (advantages: [Double], baselineShift: Double) {
    var adv = [Double](repeating: 0, count: rewards.count)
    var shift = 0.0, groups = 0
    for members in groupMembers(groupIDs) {
        let r = members.map { Double(rewards[$0]) }
        let mean = r.reduce(0, +) / Double(r.count)
        let std = (r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count)).squareRoot()
        guard std > 0 else { continue }
        let wsum = members.reduce(0) { $0 + w[$1] }
        let b = wsum > 0 ? zip(members, r).reduce(0) { $0 + w[$1.0] * $1.1 } / wsum : mean
        for (i, ri) in zip(members, r) { adv[i] = (ri - b) / (std + epsStd) }
        shift += abs(b - mean); groups += 1
    }
    return (adv, groups > 0 ? shift / Double(groups) : 0)
}

/// OBLR-PO's per-sequence weight w_i = Σ_t (1 − π(y_t))² over the loss tokens (detached log-probs).
func oblrWeights(detachedLogProbs det: [Float], mask: [Float], count N: Int, length S: Int) -> [Double] {
    (0..<N).map { i in
        var s = 0.0
        for t in 0..<S where mask[i * S + t] != 0 { let q = 1 - exp(Double(det[i * S + t])); s += q * q }
        return s
    }
}

/// OBLR-PO's learning-rate rule: the factor from the SNR EMA; after an update, the EMA.
struct OBLRLearningRate: KernelStage {
    func scaleLearningRate(_ s: inout LearningRateScale, state: ObjectiveState, config: ObjectiveConfig, meanReward: Double?) {
        guard config.oblrLR == .snr else { return }
        let f = state.oblrSNR.map { oblrLearningRateScale(snr: $0, minimum: Double(config.oblrLRMin)) } ?? 1
        s.oblrSNR = state.oblrSNR
        s.oblrScale = f
        s.value *= f
    }

    func afterUpdate(_ state: inout ObjectiveState, observation: UpdateObservation, config: ObjectiveConfig) {
        guard config.oblrLR == .snr, let snr = observation.gradientSNR else { return }
        let b = Double(config.oblrSNREMA)
        state.oblrSNR = state.oblrSNR.map { b * $0 + (1 - b) * snr } ?? snr
    }
}

/// OBLR-PO's learning-rate factor clamp(SNR/(1 + SNR), minimum, 1).
package func oblrLearningRateScale(snr: Double, minimum: Double) -> Double {
    guard snr.isFinite else { return 1 }
    return min(1, max(minimum, snr / (1 + snr)))
}

/// The first and second moments of an update's minibatch gradients, for OBLR-PO's SNR: the sum of
/// the gradients and of their squared norms. Holds one parameter-sized buffer.
package struct GradientMoments: Sendable {
    /// Gradients added so far.
    package private(set) var count = 0
    private var sum: [Float]
    private var squaredNorms = 0.0

    /// Moments of gradients with `parameters` entries.
    package init(parameters: Int) { sum = [Float](repeating: 0, count: parameters) }

    /// Adds one gradient (a shorter buffer adds to the first entries only, a longer one's tail is ignored).
    package mutating func add(_ g: UnsafeBufferPointer<Float>) {
        var sq = 0.0
        sum.withUnsafeMutableBufferPointer { s in
            for j in 0..<min(s.count, g.count) { let x = g[j]; s[j] += x; sq += Double(x) * Double(x) }
        }
        squaredNorms += sq
        count += 1
    }

    /// Adds one gradient given as an array.
    package mutating func add(_ g: [Float]) { g.withUnsafeBufferPointer { add($0) } }

    /// The unbiased SNR of one gradient (file comment): nil with fewer than 2 gradients or when
    /// they are all equal (no noise to measure).
    package var snr: Double? {
        guard count >= 2 else { return nil }
        let n = Double(count)
        let meanSq = sum.reduce(0.0) { $0 + (Double($1) / n) * (Double($1) / n) }   // ‖ḡ‖²
        let noise = max(0, (squaredNorms - n * meanSq) / (n - 1))                   // σ̂²
        guard noise > 0 else { return nil }
        return max(0, meanSq - noise / n) / noise
    }
}
