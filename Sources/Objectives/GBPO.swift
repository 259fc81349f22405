// BPO / GBPO – Bounded Ratio RL (ALGORITHMS.md §5.1). The analytic trust-region optimum
// sets the ratio to 1+ε where the advantage beats the median and 1−ε below it [P]; the
// group loss below is a RECONSTRUCTION [R]: with median-baseline advantages Ã (estimator
// `gbpo`), target ρ* = 1+ε_high if Ã > 0, 1−ε_low if Ã < 0, and
//     ℓ = |Ã| · (log x − log ρ*)²,        dℓ/dlog x = 2 |Ã| (log x − log ρ*).
// Tokens with Ã = 0 contribute nothing. Flags: `high`/`low` = ratio past its target.
// The median baseline: Ã_i = R_i − median_g R. The preset: median advantages, target 1 ± 0.2.

import Foundation

extension PresetInfo {
    static let gbpo = PresetInfo(name: "gbpo", paper: "Bounded Ratio Reinforcement Learning", reference: "§5.1, GBPO.swift",
                                 reconstructed: true) { c in
        c.advantage = .gbpo; c.bound = .boundedRatio
    }
}

/// GBPO's median-baseline advantages of one group's rewards `r`.
func medianBaselineAdvantages(_ r: [Double]) -> [Double] {
    let s = r.sorted()
    let median = s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    return r.map { $0 - median }
}

/// Advantage-weighted squared log-distance to the bounded target ratio.
func boundedRatioTerm(logX: Double, a: Double, low: Double, high: Double) -> TokenTerm {
    guard a != 0 else { return TokenTerm(loss: 0, dLogRatio: 0) }
    let target = a > 0 ? log(high) : log(low)
    let diff = logX - target
    let past = a > 0 ? diff > 0 : diff < 0
    return TokenTerm(loss: abs(a) * diff * diff, dLogRatio: 2 * abs(a) * diff,
                     flag: past ? (a > 0 ? .high : .low) : .none)
}
