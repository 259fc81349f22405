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
// Presets: `r2vpo` (§2.5): the penalty with λ₀ = 2.5, δ = 0.02, log-space dual step η = 0.05;
// `r2vpo-decoupled` (§2.6): Var(u) around the interpolated π_prox, staleness via min(π_prox/μ, ρ̄ = 1).

import Foundation

extension PresetInfo {
    static let r2vpo = PresetInfo(name: "r2vpo", paper: "Ratio-Variance Regularized Policy Optimization for Efficient LLM Fine-tuning",
                                  reference: "§2.3–2.5, R2VPO.swift", reconstructed: true) { c in
        c.bound = .variance
    }
    static let r2vpoDecoupled = PresetInfo(name: "r2vpo-decoupled",
                                           paper: "Ratio-Variance Regularized Policy Optimization for Efficient LLM Fine-tuning",
                                           reference: "§2.6, R2VPO.swift", reconstructed: true) { c in
        c.bound = .variance; c.reference = .decoupledInterp; c.weight = .vtrace; c.rhoBar = 1
    }
}

/// R²VPO in the kernel (bound `variance`; the per-token term is MDPO.swift's plain surrogate).
struct R2VPOPenalty: KernelStage {
    /// 6. λ·V over the kept ratios, its gradient 2λ(x − centre)·x/M per token, and the braked fraction.
    func penalise(_ p: inout KernelPass) {
        let lambda = p.state.lambda, M = p.M
        let centre = p.config.variance == .central ? p.vars.mean : 1
        let v = p.config.variance == .central ? p.vars.central : p.vars.one
        p.m.variancePenalty = lambda * v
        p.m.lambda = lambda; p.m.dualVariance = v
        var braked = 0
        for (j, k) in p.kept.enumerated() {
            p.gLog[k] += lambda * 2 * (p.xs[j] - centre) * p.xs[j] / M  // §2.4
            let a = Double(p.seqAdv[k / p.S])
            if a != 0, (a - 2 * lambda * (p.xs[j] - centre)) * a < 0 { braked += 1 }
        }
        p.m.brakedFraction = M > 0 ? Double(braked) / M : 0
    }

    /// The dual step on this step's variance (EMA-smoothed when `variance_ema` is set); skipped
    /// when the minibatch had no tokens.
    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {
        guard let v = result.metrics.dualVariance, result.metrics.tokens > 0 else { return }
        var used = v
        if let beta = config.varianceEMA {
            let ema = state.varianceEMA.map { Double(beta) * $0 + (1 - Double(beta)) * v } ?? v
            state.varianceEMA = ema; used = ema
        }
        state.lambda = r2vpoDualStep(lambda: state.lambda, variance: used, config: config)
    }
}

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
