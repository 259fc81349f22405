// The kernel's entropy terms (ALGORITHMS.md §1.5, §6 item 7) and their settings' checks. The
// entropy bonus: loss −= c·agg(H) (c = `entropy_coef`, with EPO's phase weighting when EPO sets
// phases). H_t depends on the whole distribution at position t, not on log π(y_t) alone, so its
// gradient cannot be expressed through dLoss/dlogπ: the kernel returns dLoss/dH_t = −c·w_t per
// position (`ObjectiveResult.dEntropy`), and the policy applies dH_t/dlogits = −p ∘ (log p + H) in
// its backward pass (GPT.backward(dLogProbs:dEntropy:)). EPO's smoothing penalty (EPO.swift) and
// DCPO's control (DCPO.swift) add to the same dLoss/dH from their own stages, using the batch
// entropy below. EMPG (EMPG.swift) uses the entropy only as a detached modulator of the
// advantages, and SAFE (SAFE.swift) only as the gate of its KL coefficient.

import Foundation

extension ObjectiveConfig {
    /// Whether the objective reads per-position entropies (`TokenBatch.entropy`).
    package var needsEntropy: Bool { !entropyReaders.isEmpty }

    /// The settings that read per-position entropies (for error messages).
    var entropyReaders: [String] {
        [("entropy_coef", entropyCoef != 0), ("epo_smoothing", epoSmoothing != nil), ("empg_k", empgK != nil),
         ("dcpo_alpha", dcpoAlpha != nil), ("safe", safe), ("d3s_token_keep", d3sTokenKeep != nil)].filter(\.1).map(\.0)
    }

    func validateEntropyControl() throws {
        func need(_ ok: Bool, _ msg: @autoclosure () -> String) throws {
            if !ok { throw ObjectiveError.invalidSetting(msg()) }
        }
        for (k, v) in [("epo_smoothing", epoSmoothing), ("empg_k", empgK), ("dcpo_alpha", dcpoAlpha)] {
            if let v { try need(v.isFinite && v >= 0, "\(k) \(v) must be ≥ 0") }
        }
        try need(epoBand >= 0, "epo_band \(epoBand) must be ≥ 0")
        try need(epoHistory >= 0 && epoHistory < 1, "epo_history \(epoHistory) must be in [0, 1)")
        if let k = epoPhaseSteps { try need(k > 0, "epo_phase_steps \(k) must be > 0") }
        try need(empgFutureK >= 0 && empgZeta >= 0, "empg_future_k and empg_zeta must be ≥ 0")
        if let t = dcpoTargetEntropy { try need(t.isFinite && t > 0, "dcpo_target_entropy \(t) must be > 0") }
        try need(dcpoTargetRatio > 0, "dcpo_target_ratio \(dcpoTargetRatio) must be > 0")
        try need(safeThreshold > 0, "safe_threshold \(safeThreshold) must be > 0")
        try need(safeEntropyFloor >= 0 && safePenaltyScale >= 0, "safe_entropy_floor and safe_penalty_scale must be ≥ 0")
        try need(safeKp >= 0 && safeKi >= 0 && safeKd >= 0, "safe_kp, safe_ki and safe_kd must be ≥ 0")
        try need(!ratioNorm || ratioLevel == .token, "ratio_norm needs ratio_level=token (got \(ratioLevel.rawValue))")
        try need(!(oblrBaseline && calibrationAdvantage), "oblr_baseline and calibration_advantage both replace the advantages; choose one")
        if let m = calibrationMargin { try need(m.isFinite && m >= 0, "calibration_margin \(m) must be ≥ 0") }
    }
}

/// 7. The entropy bonus (and the `entropy` metric) whenever the batch carries entropies.
struct EntropyBonus: KernelStage {
    func regularise(_ p: inout KernelPass) {
        guard let h = p.batch.entropy else { return }
        p.m.entropy = p.M > 0 ? p.kept.reduce(0) { $0 + Double(h[$1]) } / p.M : 0
        p.entropyBonus(epoCoefficients(p.config, step: p.state.step).bonus, entropy: h)
    }
}

extension KernelPass {
    /// Adds the bonus −coef·agg(H) over the kept tokens to the loss and dLoss/dH (nothing at 0).
    mutating func entropyBonus(_ coef: Double, entropy h: [Float]) {
        guard coef != 0 else { return }
        for k in kept {
            m.entropyTerm -= coef * Double(agg[k]) * Double(h[k])
            dH[k] -= coef * Double(agg[k])
        }
        dHActive = true
    }

    /// The batch entropy H_B = Σ w_k H_k / Σ w_k under the aggregation weights, live and detached,
    /// and Σ w (nil when the batch has no entropies or Σ w = 0); sets the `entropy_aggregated` metric.
    mutating func batchEntropy() -> (live: Double, detached: Double, weightSum: Double)? {
        guard let h = batch.entropy else { return nil }
        let hd = detachedEntropy ?? h
        let wSum = kept.reduce(0) { $0 + Double(agg[$1]) }
        guard wSum > 0 else { return nil }
        let hB = kept.reduce(0) { $0 + Double(agg[$1]) * Double(h[$1]) } / wSum
        let hBDet = kept.reduce(0) { $0 + Double(agg[$1]) * Double(hd[$1]) } / wSum
        m.entropyAggregated = hBDet
        return (hB, hBDet, wSum)
    }
}
