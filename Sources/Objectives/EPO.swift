// EPO – "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning"
// (papers.txt). The abstract [P]: "(1) adopting entropy regularization …, (2) an entropy
// smoothing regularizer that bounds policy entropy within historical averages to prevent abrupt
// fluctuations, and (3) adaptive phase-based weighting that balances exploration and
// exploitation across training". The functional forms below are our reconstruction [R]
// (docs/algorithms.md "epo"), per token for single-turn completions:
//   H_B = Σ_k w_k H_k / Σ_k w_k            batch entropy under the aggregation weights w (live)
//   H̄ ← β_h·H̄ + (1 − β_h)·sg(H_B)          historical average, after each step (first: H̄ = H_B)
//   α_k = min(1, k/K)                       phase weight at optimiser step k (K = epo_phase_steps)
//   c_k = c·(1 − α_k),  λ_k = λ_s·α_k        exploration fades, stabilisation grows (no K: c, λ_s)
//   d = max(0, |H_B − H̄| − κ·H̄)            distance outside the band [(1 − κ)H̄, (1 + κ)H̄]
//   loss += −c_k·agg(H) + λ_k·d²
//   dLoss/dH_t = −c_k·w_t + 2λ_k·d·sign(H_B − H̄)·w_t / Σw
// The entropy gradient itself is the policy's (dH/dlogits = −p ∘ (log p + H)). The bonus c_k is
// EntropyControl.swift's (it reads `epoCoefficients`); the penalty and the history are here.
// The preset: bonus 0.01 fading over 200 steps while the smoothing penalty (λ_s = 1, band ±20 %
// of the EMA-0.9 history) grows in.

import Foundation

extension PresetInfo {
    static let epo = PresetInfo(name: "epo", paper: "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning",
                                reference: "docs/algorithms.md epo, EPO.swift", reconstructed: true) { c in
        c.entropyCoef = 0.01; c.epoSmoothing = 1; c.epoBand = 0.2; c.epoHistory = 0.9; c.epoPhaseSteps = 200
    }
}

/// EPO in the kernel: 7. the smoothing penalty λ_k·d² once a history exists; after the step, H̄.
struct EPOSmoothing: KernelStage {
    func regularise(_ p: inout KernelPass) {
        guard let hB = p.batchEntropy() else { return }
        let (cK, lambdaK) = epoCoefficients(p.config, step: p.state.step)
        p.m.epoBonusCoef = cK; p.m.epoSmoothingCoef = lambdaK
        guard let hBar = p.state.entropyHistory else { return }
        p.m.epoEntropyHistory = hBar
        let pen = epoSmoothingPenalty(batchEntropy: hB.live, history: hBar, band: Double(p.config.epoBand), weight: lambdaK)
        p.m.epoSmoothingPenalty = pen.value
        p.m.entropyTerm += pen.value
        if pen.dBatchEntropy != 0 {
            for k in p.kept { p.dH[k] += pen.dBatchEntropy * Double(p.agg[k]) / hB.weightSum }
            p.dHActive = true
        }
    }

    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {
        guard result.metrics.tokens > 0, let hB = result.metrics.entropyAggregated else { return }
        state.entropyHistory = epoHistoryUpdate(state.entropyHistory, batchEntropy: hB, decay: Double(config.epoHistory))
    }
}

/// EPO's phase weight α_k = min(1, step/K); 1 (both terms at full weight, no phases) when K is nil.
package func epoPhase(step: Int, phaseSteps K: Int?) -> Double {
    guard let K, K > 0 else { return 1 }
    return min(1, Double(max(step, 0)) / Double(K))
}

/// EPO's coefficients at `step`: the entropy bonus c_k and the smoothing weight λ_k.
package func epoCoefficients(_ config: ObjectiveConfig, step: Int) -> (bonus: Double, smoothing: Double) {
    let c = Double(config.entropyCoef), ls = Double(config.epoSmoothing ?? 0)
    guard config.epoPhaseSteps != nil else { return (c, ls) }
    let a = epoPhase(step: step, phaseSteps: config.epoPhaseSteps)
    return (c * (1 - a), ls * a)
}

/// EPO's smoothing penalty λ·d² for batch entropy `hB` against the history `hBar` with band κ,
/// and its derivative with respect to H_B.
package func epoSmoothingPenalty(batchEntropy hB: Double, history hBar: Double, band kappa: Double,
                                weight lambda: Double) -> (value: Double, dBatchEntropy: Double) {
    let dev = hB - hBar
    let d = max(0, abs(dev) - kappa * hBar)
    guard d > 0 else { return (0, 0) }
    return (lambda * d * d, 2 * lambda * d * (dev > 0 ? 1 : -1))
}

/// The historical entropy after a step with batch entropy `hB` (EMA with decay β; first step: H_B).
package func epoHistoryUpdate(_ hBar: Double?, batchEntropy hB: Double, decay beta: Double) -> Double {
    hBar.map { beta * $0 + (1 - beta) * hB } ?? hB
}
