// MDPO – Mirror Descent Policy Optimization (ALGORITHMS.md §5.17): unclipped importance
// surrogate minus (1/t_k) KL(π_θ ‖ π_k), π_k = the policy at the start of the iteration:
//     ℓ_t = −x·Â (bound `none`; also R²VPO's primal term),  dℓ/dlog x = −x·Â
//     loss += (1/t_k)·agg(KL_t)
// In the kernel π_k is π_prox (reference decoupled*) or μ (reference behaviour).
//
// Two forms of the KL, switch `previous_kl`:
// * `input`: the policy computes the exact per-position KL over its full softmax and passes
//   it in; the kernel adds (1/t_k)·agg(KL) to the loss and returns dLoss/dKL per position
//   (`ObjectiveResult.dPreviousKL`); turning that into dLoss/dlogits is the policy's job. Here π_k
//   is the policy at the start of the update (the trainer's snapshot, Training
//   PolicyTrainer+PreviousPolicy.swift), whatever the reference: the paper's previous iterate.
//   Costs one more parameter copy and an inference forward of π_k per pass, plus two head GEMMs
//   per row, so its cost grows with the vocabulary (the preset uses it; see below).
// * `sampled`: only the sampled tokens' log-probs are known, and the samples come from π_k,
//   not π_θ, so §1.5's k3 (which needs samples from the first argument) does not apply
//   directly. With r = π_θ/π_k, KL(π_θ‖π_k) = E_{π_k}[r log r]; we use the non-negative
//   control-variate form φ(r) = r log r − r + 1 (E_{π_k}[r − 1] = 0), dφ/dlog r = r log r.
// The preset uses the exact form, the paper's KL: on the experiment grid it kept 3/3 seeds at
// staleness 4 and 8 where the sampled form kept 0/3 (docs/experiments.md). `previous_kl=sampled`
// avoids π_k's forward pass and the two head GEMMs per row, for large vocabularies.
// Step size: t_k = t₀ · max(1 − k/K, min_fraction) with K = mdpo_anneal_steps (paper's on-policy
// schedule t_k = 1 − k/K [K]); constant t₀ when K is unset.

import Foundation

extension PresetInfo {
    /// §5.17: unclipped IS surrogate + (1/t_k) KL(π_θ‖π_k), the exact KL to the update's start, t₀ = 1.
    static let mdpo = PresetInfo(name: "mdpo", paper: "Mirror Descent Policy Optimization", reference: "§5.17, MDPO.swift",
                                 reconstructed: false) { c in
        c.bound = .none; c.previousKL = .input; c.mdpoStep = 1
    }
}

/// Plain importance-weighted surrogate `ℓ = −x·Â` (bound `none`; R²VPO's primal term §2.3).
func plainTerm(x: Double, a: Double) -> TokenTerm {
    TokenTerm(loss: -x * a, dLogRatio: -x * a)
}

/// `1/t_k` at optimiser step `step`.
func mdpoCoefficient(_ config: ObjectiveConfig, step: Int) -> Double {
    var frac = 1.0
    if let k = config.mdpoAnnealSteps {
        frac = max(1 - Double(step) / Double(k), Double(config.mdpoMinFraction))
    }
    return 1 / (Double(config.mdpoStep) * frac)
}

/// Sampled KL(π_θ‖π_k) term for one token with log-ratio `logR` (value, d/dlog π_θ).
func previousKLSampled(logR: Double) -> (value: Double, dLog: Double) {
    let r = exp(logR)
    return (r * logR - r + 1, r * logR)
}

/// 7. The (1/t_k)·KL(π_θ‖π_k) term over the kept tokens, sampled (gradient through log u where it
/// passes the clamp) or supplied per position (gradient returned as `dPreviousKL`).
struct MDPOPreviousKL: KernelStage {
    func regularise(_ p: inout KernelPass) {
        let coef = mdpoCoefficient(p.config, step: p.state.step)
        p.m.mdpoCoefficient = coef
        var mean = 0.0
        if p.config.previousKL == .sampled {
            for k in p.kept {
                let t = previousKLSampled(logR: p.clamp(p.uLive[k]))
                mean += t.value
                p.m.previousKLTerm += coef * Double(p.agg[k]) * t.value
                if abs(p.uLive[k]) < p.C { p.dlp[k] += coef * Double(p.agg[k]) * t.dLog }
            }
        } else if let kl = p.batch.previousKL {
            var d = [Float](repeating: 0, count: p.n)
            for k in p.kept {
                mean += Double(kl[k]); p.m.previousKLTerm += coef * Double(p.agg[k]) * Double(kl[k])
                d[k] = Float(coef * Double(p.agg[k]))
            }
            p.dPreviousKL = d
        }
        p.m.previousKL = p.M > 0 ? mean / p.M : 0
    }
}
