// R²VPO – Ratio-Variance Regularized Policy Optimization (ALGORITHMS.md §2). The loss form
// and the dual step are a RECONSTRUCTION [R] (the paper's method section was not reachable).
//     loss = −agg(w · x · Â) + λ · V,         λ detached                       §2.3 / §2.5
//     V_c = mean_B (x − x̄)²,  V_1 = mean_B (x − 1)²   (masked token mean)        §2.3
//     dV/dlog x_t = 2 (x_t − x̄ or 1) · x_t / M   (the x̄ term cancels, §2.4)
// so each token's effective advantage is Ã = Â − 2λ(x − x̄ or 1) (scaled by the aggregation).
// Dual step after each optimiser step, on the detached V (optionally EMA-smoothed):
//     additive:  λ ← min(λ_max, max(0, λ + η (V − δ)))
//     log:       log λ ← clip(log λ + η (V/δ − 1), log λ_min, log λ_max)
// x is r = π_θ/μ (single ratio) or u = π_θ/π_prox (decoupled variant §2.6, reference
// `decoupled`/`decoupled-interp` with weight `vtrace`).

import Foundation

/// Both variance estimators over the given ratios, plus their mean.
func ratioVariances(_ xs: [Double]) -> (central: Double, one: Double, mean: Double) {
    guard !xs.isEmpty else { return (0, 0, 0) }
    let m = Double(xs.count)
    let mean = xs.reduce(0, +) / m
    var c = 0.0, o = 0.0
    for x in xs { c += (x - mean) * (x - mean); o += (x - 1) * (x - 1) }
    return (c / m, o / m, mean)
}

/// One dual step for the multiplier (§2.3) given the (smoothed) variance `v`.
func r2vpoDualStep(lambda: Double, variance v: Double, config: ObjectiveConfig) -> Double {
    let eta = Double(config.etaLambda), delta = Double(config.delta)
    let lo = Double(config.lambdaMin), hi = Double(config.lambdaMax)
    switch config.dualRule {
    case .additive:
        return min(hi, max(0, lambda + eta * (v - delta)))
    case .log:
        let l = log(max(lambda, lo)) + eta * (v / delta - 1)
        return exp(min(max(l, log(lo)), log(hi)))
    }
}
