// MHPO – Modulated Hazard-aware Policy Optimization (ALGORITHMS.md §5.2). RECONSTRUCTION [R]:
// the paper's exact functions were not reachable. A log-fidelity modulator maps the ratio
// into a bounded, everywhere-differentiable range, and Weibull cumulative hazards penalise
// upward and downward shifts separately:
//     ψ(x) = 1 + κ tanh(log x / κ)                      (in place of x in the surrogate)
//     ℓ = −Â ψ(x) + H₊(max(0, log x)) + H₋(max(0, −log x)),   H(u) = (u/η)^k
// dℓ/dlog x = −Â (1 − tanh²(log x/κ)) + H₊'(u₊) − H₋'(u₋),  H'(u) = (k/η)(u/η)^(k−1).
// The preset: modulator κ = 0.2, Weibull hazards η = 0.5, k = 2 on both sides.

import Foundation

extension PresetInfo {
    static let mhpo = PresetInfo(name: "mhpo", paper: "MHPO: Modulated Hazard-aware Policy Optimization for Stable Reinforcement Learning",
                                 reference: "§5.2, MHPO.swift", reconstructed: true) { c in
        c.bound = .mhpo
    }
}

/// MHPO term; the flag marks which hazard is active (`high` = upward shift, `low` = downward).
func mhpoTerm(logX: Double, a: Double, config: ObjectiveConfig) -> TokenTerm {
    let kappa = Double(config.mhpoKappa)
    let th = tanh(logX / kappa)
    var loss = -a * (1 + kappa * th)
    var d = -a * (1 - th * th)
    var flag = ClipFlag.none
    if logX > 0 {
        let eta = Double(config.mhpoEtaUp), k = Double(config.mhpoShapeUp)
        loss += pow(logX / eta, k); d += k / eta * pow(logX / eta, k - 1); flag = .high
    } else if logX < 0 {
        let eta = Double(config.mhpoEtaDown), k = Double(config.mhpoShapeDown), u = -logX
        loss += pow(u / eta, k); d -= k / eta * pow(u / eta, k - 1); flag = .low
    }
    return TokenTerm(loss: loss, dLogRatio: d, flag: flag)
}
