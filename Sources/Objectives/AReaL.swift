// AReaL decoupled PPO for stale data (ALGORITHMS.md §4.10). Three policies: behaviour μ
// (generated the tokens), proximal π_prox and current π_θ:
//     J = E[ sg(π_prox/μ) · min(u Â, clip(u, 1−ε, 1+ε) Â) ],   u = π_θ/π_prox
// The kernel takes π_prox either as supplied log-probs (reference `decoupled`) or by the
// version interpolation (reference `decoupled-interp`):
//     α_i = (v_prox − v_b,i)/(v_θ − v_b,i),   log π_prox ≈ log μ + α_i (sg(log π_θ) − log μ)
// with v_prox defaulting to the learner's version v and v_θ to v + 1 (the version this step
// produces), so fresh data (v_b = v) gets α = 0, π_prox = μ. The weight sg(π_prox/μ) is the
// staleness weight (`weight = is | tis | mis | vtrace`, StalenessWeights.swift).
// The preset: clip 0.2 around the interpolated π_prox, weight sg(π_prox/μ) (`is`), and sequences
// more than 4 versions stale masked (`mask_staleness_above = 4`).

import Rollout

extension PresetInfo {
    static let decoupledPPO = PresetInfo(name: "decoupled-ppo", paper: "AReaL decoupled PPO baseline",
                                         reference: "§4.10, AReaL.swift", reconstructed: false) { c in
        c.reference = .decoupledInterp; c.weight = .is; c.maskStalenessAbove = 4
    }
}

/// 2. log π_prox per position for the ratio reference: μ (`behaviour`), the supplied log-probs
/// (`decoupled`) or the version interpolation from the detached log-probs (`decoupled-interp`).
func proximalLogProbs(_ reference: RatioReference, batch: TokenBatch, detachedLogProbs det: [Float]) throws -> [Float] {
    switch reference {
    case .behaviour: return batch.behaviourLogProbs
    case .decoupled:
        guard let prox = batch.proximalLogProbs else { throw ObjectiveError.missingInput("proximal_logprobs (reference = decoupled)") }
        return prox
    case .decoupledInterp: return try interpolatedProximalLogProbs(batch: batch, logProbs: det)
    }
}

/// Interpolation weights α_i per sequence (§4.10); versions must satisfy v_b ≤ v_prox ≤ v_θ.
package func proximalInterpolationWeights(versions: [PolicyVersion], proximal: PolicyVersion, theta: PolicyVersion) throws -> [Double] {
    try versions.enumerated().map { i, vb in
        guard vb <= proximal, proximal <= theta else {
            throw ObjectiveError.invalidSetting("decoupled-interp: need v_b ≤ v_prox ≤ v_θ, got v_b[\(i)] = \(vb), v_prox = \(proximal), v_θ = \(theta)")
        }
        return theta == vb ? 1 : Double(vb.staleness(at: proximal)) / Double(vb.staleness(at: theta))
    }
}

/// Interpolated log π_prox per position from the (detached) current log-probs (§4.10).
package func interpolatedProximalLogProbs(batch: TokenBatch, logProbs: [Float]) throws -> [Float] {
    guard let versions = batch.versions, let v = batch.learnerVersion else {
        throw ObjectiveError.missingInput("policy_versions and learner_version (decoupled-interp)")
    }
    let alpha = try proximalInterpolationWeights(versions: versions, proximal: batch.proximalVersion ?? v,
                                                 theta: batch.thetaVersion ?? v.next)
    var out = batch.behaviourLogProbs
    for i in 0..<batch.count {
        for t in 0..<batch.length {
            let k = i * batch.length + t
            guard batch.mask[k] != 0 else { continue }
            out[k] = batch.behaviourLogProbs[k] + Float(alpha[i]) * (logProbs[k] - batch.behaviourLogProbs[k])
        }
    }
    return out
}
