// BNPO – Beta Normalization Policy Optimization (ALGORITHMS.md §5.4, from the authors' code).
// For binary rewards with group success rate p_g, fit a Beta distribution to the batch's
// {p_g} by moments, widen it (α = max(1, 1 + a/3), β = max(1, 1 + b/3)) and normalise
//     Â_i = (R_i − p_g) / Beta_pdf(p_g; α, β),    1/pdf clamped to ≤ 1e6.
// With no spread in {p_g} the moment fit is undefined; α = β = 1 (pdf ≡ 1) is used,
// which reduces to REINFORCE with the group-mean baseline.
// The preset: Beta-normalised advantages with GRPO's ratio and clip 0.2 (GRPO.swift).

import Foundation

extension PresetInfo {
    static let bnpo = PresetInfo(name: "bnpo", paper: "BNPO: Beta Normalization Policy Optimization",
                                 reference: "§5.4, BNPO.swift", reconstructed: false) { c in
        c.advantage = .bnpo
    }
}

/// `Beta_pdf(p; α, β)` computed in log space.
func betaPDF(_ p: Double, alpha: Double, beta: Double) -> Double {
    if p <= 0 { return alpha < 1 ? .infinity : (alpha == 1 ? beta : 0) }
    if p >= 1 { return beta < 1 ? .infinity : (beta == 1 ? alpha : 0) }
    let logB = lgamma(alpha) + lgamma(beta) - lgamma(alpha + beta)
    return exp((alpha - 1) * log(p) + (beta - 1) * log(1 - p) - logB)
}

/// Batch-level BNPO advantages and the fitted (α, β).
func bnpoAdvantages(rewards: [Float], members: [[Int]]) -> ([Float], Double, Double) {
    let p = members.map { idx in idx.reduce(0.0) { $0 + Double(rewards[$1]) } / Double(idx.count) }
    var alpha = 1.0, beta = 1.0
    if !p.isEmpty {
        let mean = p.reduce(0, +) / Double(p.count)
        let variance = p.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(p.count)
        if variance > 0 {
            let common = mean * (1 - mean) / variance - 1  // §5.4 moment fit
            alpha = max(1, 1 + common * mean / 3)
            beta = max(1, 1 + common * (1 - mean) / 3)
        }
    }
    var out = [Float](repeating: 0, count: rewards.count)
    for (g, idx) in members.enumerated() {
        let inv = min(1 / betaPDF(min(max(p[g], 0), 1), alpha: alpha, beta: beta), 1e6)
        for i in idx { out[i] = Float((Double(rewards[i]) - p[g]) * inv) }
    }
    return (out, alpha, beta)
}
