// EMPG – "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents"
// (papers.txt). The abstract [P]: EMPG "re-calibrates the learning signal based on step-wise
// uncertainty and the final task outcome … amplifies updates for confident correct actions,
// penalizes confident errors, and attenuates updates from uncertain steps", plus "a bonus term
// for future clarity that encourages agents to find more predictable solution paths".
// Our token-level form [R] (a step is one token here; docs/algorithms.md "empg"), over the kept
// tokens of the minibatch, with the entropy detached (it modulates, it is not optimised):
//   Ĥ_t = (H_t − min H)/(max H − min H + 1e-8)          batch min–max normalisation
//   g_t = e^(−k·Ĥ_t) / mean_kept e^(−k·Ĥ)               self-calibrating scale, mean 1
//   f_t = e^(−k′·Ĥ_{t+1}) if token t+1 of the sequence is kept, else 0   (future clarity)
//   A_t = g_t·Â_i + ζ·(f_t − mean_kept f)              the bonus is centred: it prefers tokens
//                                                      leading to clearer futures over others,
//                                                      without raising every sampled token
// A_t replaces the sequence advantage Â_i in the bounding rule of every kept token.
// The preset: k = k′ = 1, ζ = 0.05, with GRPO's clip (GRPO.swift).

import Foundation

extension PresetInfo {
    static let empg = PresetInfo(name: "empg", paper: "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents",
                                 reference: "docs/algorithms.md empg, EMPG.swift", reconstructed: true) { c in
        c.empgK = 1; c.empgFutureK = 1; c.empgZeta = 0.05
    }
}

/// 6. Per-token advantages A_t from the (possibly replaced) sequence advantages and the detached entropy.
struct EMPGModulation: KernelStage {
    func replaceAdvantages(_ p: inout KernelPass) {
        guard let k = p.config.empgK, let h = p.detachedEntropy else { return }
        let e = empgAdvantages(advantages: p.seqAdv, entropy: h, kept: (0..<p.n).filter { p.keep[$0] != 0 }, length: p.S,
                               k: Double(k), futureK: Double(p.config.empgFutureK), zeta: Double(p.config.empgZeta))
        p.tokenAdv = e.advantages; p.m.empgScaleMin = e.scaleMin; p.m.empgScaleMax = e.scaleMax
    }
}

/// Per-position modulated advantages A_t (0 outside `kept`) and the range of g over kept tokens.
package func empgAdvantages(advantages: [Float], entropy: [Float], kept: [Int], length S: Int,
                           k: Double, futureK: Double, zeta: Double) -> (advantages: [Double], scaleMin: Double, scaleMax: Double) {
    var out = [Double](repeating: 0, count: entropy.count)
    guard !kept.isEmpty else { return (out, 0, 0) }
    var lo = Double.infinity, hi = -Double.infinity
    for j in kept { lo = min(lo, Double(entropy[j])); hi = max(hi, Double(entropy[j])) }
    let span = hi - lo + 1e-8
    var isKept = [Bool](repeating: false, count: entropy.count)
    for j in kept { isKept[j] = true }
    func norm(_ j: Int) -> Double { (Double(entropy[j]) - lo) / span }
    let raw = kept.map { exp(-k * norm($0)) }
    let mean = raw.reduce(0, +) / Double(kept.count)
    let future = kept.map { j -> Double in
        let next = j + 1
        return next % S != 0 && next < entropy.count && isKept[next] ? exp(-futureK * norm(next)) : 0
    }
    let fMean = future.reduce(0, +) / Double(kept.count)
    var gMin = Double.infinity, gMax = -Double.infinity
    for (n, j) in kept.enumerated() {
        let g = raw[n] / mean
        gMin = min(gMin, g); gMax = max(gMax, g)
        out[j] = g * Double(advantages[j / S]) + zeta * (future[n] - fMean)
    }
    return (out, gMin, gMax)
}
