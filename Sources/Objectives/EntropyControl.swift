// The kernel's entropy terms (ALGORITHMS.md §6 item 7) and their settings' checks: the entropy
// bonus −c·agg(H) (with EPO's phase weighting of c), EPO's smoothing penalty and DCPO's
// distribution-level control (EPO.swift, DCPO.swift). Each returns dLoss/dH_t; the policy
// applies dH_t/dlogits = −p ∘ (log p + H) in its backward pass (GPT.backward(dLogProbs:dEntropy:)).
// EMPG (EMPG.swift) uses the entropy only as a detached modulator of the advantages, and SAFE
// (SAFE.swift) only as the gate of its KL coefficient.

import Foundation

extension ObjectiveConfig {
    /// Whether the objective reads per-position entropies (`TokenBatch.entropy`).
    public var needsEntropy: Bool { !entropyReaders.isEmpty }

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

/// The entropy terms over the kept tokens: adds their values to `m.entropyTerm`, fills the
/// entropy metrics, and returns dLoss/dH per position (nil when no term is active). `h` is the
/// live entropy (the loss is a function of it), `hd` the detached copy for control decisions.
func entropyTerms(_ c: ObjectiveConfig, state: ObjectiveState, entropy h: [Float], detached hd: [Float],
                  kept: [Int], agg: [Float], metrics m: inout ObjectiveMetrics) -> [Float]? {
    let M = Double(kept.count)
    m.entropy = M > 0 ? kept.reduce(0) { $0 + Double(h[$1]) } / M : 0
    var d = [Double](repeating: 0, count: h.count)
    var active = false
    func bonus(_ coef: Double) {
        guard coef != 0 else { return }
        for k in kept {
            m.entropyTerm -= coef * Double(agg[k]) * Double(h[k])
            d[k] -= coef * Double(agg[k])
        }
        active = true
    }
    let (cK, lambdaK) = epoCoefficients(c, step: state.step)
    bonus(cK)
    let wSum = kept.reduce(0) { $0 + Double(agg[$1]) }
    if (c.epoSmoothing != nil || c.dcpoAlpha != nil) && wSum > 0 {
        let hB = kept.reduce(0) { $0 + Double(agg[$1]) * Double(h[$1]) } / wSum
        let hBDet = kept.reduce(0) { $0 + Double(agg[$1]) * Double(hd[$1]) } / wSum
        m.entropyAggregated = hBDet
        if c.epoSmoothing != nil {
            m.epoBonusCoef = cK; m.epoSmoothingCoef = lambdaK
            if let hBar = state.entropyHistory {
                m.epoEntropyHistory = hBar
                let p = epoSmoothingPenalty(batchEntropy: hB, history: hBar, band: Double(c.epoBand), weight: lambdaK)
                m.epoSmoothingPenalty = p.value
                m.entropyTerm += p.value
                if p.dBatchEntropy != 0 {
                    for k in kept { d[k] += p.dBatchEntropy * Double(agg[k]) / wSum }
                    active = true
                }
            }
        }
        if let alpha = c.dcpoAlpha {
            let target = dcpoTarget(c, initialEntropy: state.initialEntropy ?? hBDet)
            let coef = dcpoCoefficient(alpha: Double(alpha), batchEntropy: hBDet, target: target, twoSided: c.dcpoTwoSided)
            m.dcpoCoef = coef; m.dcpoTargetEntropy = target
            bonus(coef)
        }
    }
    return active ? d.map { Float($0) } : nil
}
