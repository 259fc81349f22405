// Staleness corrections (ALGORITHMS.md §4.8 TIS/MIS, §4.9 V-trace, §4.10 AReaL, §6 item 2):
// detached importance weights ρ_b = π_prox/μ and the staleness mask.
//     is:      w = ρ_b                                  (AReaL decoupled PPO, AReaL.swift)
//     tis:     w = min(ρ_b, C)                          (§4.8, C = tis_cap, 2 typical; TIS.swift)
//     mis:     w = ρ_b if ρ_b ∈ [C_low, C_high] else 0   (§4.8; masked tokens keep their place
//                                                         in the aggregation denominator)
//     vtrace:  w = min(ρ_b, ρ̄)                         (§4.9; same truncation as TIS, its own ρ̄)
// Level `token` uses each token's ρ_b; `sequence` the product exp(Σ_t log ρ_b); `sequence-mean`
// the geometric mean. With reference `behaviour`, π_prox = μ and every ρ_b = 1.
// Staleness mask (`mask_staleness_above`, formerly `staleness_cap`): sequences with
// s = v − v_b above it leave the mask entirely (§6 item 2). Not the learner's admission limit,
// which rejects stale groups before they reach a batch.

import Foundation
import Rollout

/// Staleness `s_i = v − v_b,i` per sequence, nil when versions are not given.
func sequenceStaleness(_ batch: TokenBatch) throws -> [Int]? {
    guard let versions = batch.versions, let v = batch.learnerVersion else { return nil }
    return try versions.enumerated().map { i, vb in
        let s = vb.staleness(at: v)
        guard s >= 0 else {
            throw ObjectiveError.invalidSetting("policy_versions[\(i)] = \(vb) is newer than the learner's version \(v)")
        }
        return s
    }
}

/// 1. The staleness mask: sequences more than `mask_staleness_above` versions old leave the mask
/// (needs versions and the learner's version); logs the masked fraction of active sequences.
struct StalenessMask: KernelStage {
    func selectSequences(_ p: inout KernelPass) throws {
        guard let cap = p.config.maskStalenessAbove, let s = p.staleness else { return }
        let S = p.S, mask = p.batch.mask
        let active = (0..<p.N).filter { i in (0..<S).contains { mask[i * S + $0] != 0 } }
        let capped = active.filter { s[$0] > cap }
        for i in capped { p.seqKeep[i] = false }
        p.m.stalenessCappedFraction = active.isEmpty ? 0 : Double(capped.count) / Double(active.count)
    }
}

/// What the weight rule did to a token.
enum WeightStatus: UInt8 { case kept, truncated, masked }

/// Detached per-token weights from per-token log ρ_b over the tokens in `keep`, with each
/// token's status (the kernel counts statuses over the tokens that finally count).
func stalenessWeights(_ config: ObjectiveConfig, logWeight: [Double], keep: [Float], count: Int,
                      length: Int) -> (weights: [Double], status: [WeightStatus]) {
    var w = [Double](repeating: 1, count: logWeight.count)
    var status = [WeightStatus](repeating: .kept, count: logWeight.count)
    guard config.weight != .none else { return (w, status) }
    var logW = logWeight
    if config.weightLevel != .token {
        let clampC = Double(config.logRatioClamp)
        for i in 0..<count {
            var sum = 0.0, len = 0.0
            for t in 0..<length where keep[i * length + t] != 0 { sum += logWeight[i * length + t]; len += 1 }
            let seq = config.weightLevel == .sequence ? sum : (len > 0 ? sum / len : 0)
            for t in 0..<length { logW[i * length + t] = min(max(seq, -clampC), clampC) }
        }
    }
    for k in 0..<w.count where keep[k] != 0 {
        let rho = exp(logW[k])
        switch config.weight {
        case .none, .is: w[k] = rho
        case .tis, .vtrace:  // TIS.swift
            let t = truncatedWeight(rho, cap: Double(config.weight == .tis ? config.tisCap : config.rhoBar))
            if t.truncated { status[k] = .truncated }
            w[k] = t.weight
        case .mis:
            if rho < Double(config.misLow) || rho > Double(config.misHigh) { w[k] = 0; status[k] = .masked } else { w[k] = rho }
        }
    }
    return (w, status)
}
