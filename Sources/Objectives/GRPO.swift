// GRPO – the default objective (DeepSeekMath; ALGORITHMS.md §1.3, §4.1, §4.3, §4.6). Its share of
// the kernel, top to bottom:
//   advantages   Â_i = (R_i − mean_g R) / (std_g R + ε_std)          population std, per group (§1.3)
//   ratio        r_t = π_θ(y_t)/μ(y_t), log r clamped to ±C           one ratio per token
//   bound        ℓ_t = −min(r·Â, clip(r, 1−ε_low, 1+ε_high)·Â)        PPO clip / clip-higher (§4.1, §4.6)
//                dℓ/dlog r = −Â·r where the unclipped term is active, else 0; at a tie (r exactly on
//                the boundary) the unclipped branch is taken, so the gradient still flows
//   KL penalty   d = log π_ref − log π_θ,  k3 = e^d − d − 1  (d clamped to ±10),  loss += β·agg(k3),
//                dk3/dlog π_θ = 1 − e^d  (zero where clamped)                     (§1.5, §4.3)
// The preset: clip 0.2, token-mean, no KL, as in the reference pipeline (peers/reverse_grpo.py) and
// the fixture; DeepSeekMath's settings are `kl_coef=0.04,aggregation=seq-mean-token-mean` (the
// trainer then takes the frozen reference to be the initial policy). The dual clip is PPO.swift's,
// the aggregation Aggregation.swift's. Other objectives reuse the token ratio (most of them), the
// clip (ETR, ALP, GSPO at sequence level) and the KL penalty (every objective, when `kl_coef > 0`;
// SAFE sets an extra coefficient, SAFE.swift).

import Foundation

extension PresetInfo {
    static let grpo = PresetInfo(name: "grpo", paper: "GRPO (DeepSeekMath) baseline", reference: "§4.3, GRPO.swift",
                                 reconstructed: false) { _ in }
}

/// GRPO's z-scores of one group's rewards `r` with mean `mean` (population std).
func grpoAdvantages(_ r: [Double], mean: Double, epsStd: Float) -> [Double] {
    let n = Double(r.count)
    let std = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
    return r.map { ($0 - mean) / (std + Double(epsStd)) }
}

extension KernelPass {
    /// 3. Token ratios: log x_t = clamp(log u_t − b) with GRPO-Guard's shift b (0 unless `ratio_norm`).
    mutating func tokenRatios() {
        logX = [Double](repeating: 0, count: n); logXDet = logX
        flows = [Bool](repeating: false, count: n)
        seqCoef = [Double](repeating: 0, count: N)
        let b = ratioShift
        for k in 0..<n where keep[k] != 0 {
            logX[k] = clamp(uLive[k] - b); logXDet[k] = clamp(uDet[k] - b); flows[k] = abs(uLive[k] - b) < C
        }
    }

    /// 6. ∂loss/∂log π = ∂loss/∂log x per token, where the gradient passes the clamp.
    mutating func tokenGradient() {
        dlp = [Double](repeating: 0, count: n)
        for k in kept where flows[k] { dlp[k] = gLog[k] }
    }
}

/// The clip window `[1 − ε_low, 1 + ε_high]` of every sequence (ETR.swift widens it per sequence).
func clipWindows(_ config: ObjectiveConfig, count: Int) -> [(low: Double, high: Double)] {
    Array(repeating: (1 - Double(config.clipLow), 1 + Double(config.clipHigh)), count: count)
}

/// PPO clip / clip-higher term for ratio `x`, advantage `a`, window `[low, high]`.
func clipTerm(x: Double, a: Double, low: Double, high: Double) -> TokenTerm {
    let unclipped = x * a
    let clipped = min(max(x, low), high) * a
    if clipped < unclipped {
        return TokenTerm(loss: -clipped, dLogRatio: 0, flag: x < low ? .low : .high)
    }
    return TokenTerm(loss: -unclipped, dLogRatio: -a * x)
}

/// k3 KL to the reference for one token: value and d/dlog π_θ (zero gradient where clamped).
func referenceK3(logProb: Double, referenceLogProb: Double) -> (value: Double, dLog: Double) {
    let raw = referenceLogProb - logProb
    let d = min(max(raw, -10), 10)
    let flows = raw > -10 && raw < 10
    return (exp(d) - d - 1, flows ? 1 - exp(d) : 0)
}

/// 7. The k3 KL to the frozen reference, whenever the batch carries reference log-probs (the
/// metric `kl_reference` is logged even at β = 0); β = `kl_coef` plus SAFE's controlled coefficient.
struct ReferenceKL: KernelStage {
    func regularise(_ p: inout KernelPass) {
        guard let ref = p.batch.referenceLogProbs else { return }
        var mean = 0.0
        let beta = Double(p.config.klCoef) + p.safeKLCoefficient
        for k in p.kept {
            let t = referenceK3(logProb: Double(p.logProbs[k]), referenceLogProb: Double(ref[k]))
            mean += t.value
            p.m.klReferenceTerm += beta * Double(p.agg[k]) * t.value
            p.dlp[k] += beta * Double(p.agg[k]) * t.dLog
        }
        p.m.klReference = p.M > 0 ? mean / p.M : 0
    }
}
