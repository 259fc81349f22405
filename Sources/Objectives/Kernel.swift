// The composable loss kernel (ALGORITHMS.md §6; docs/algorithms.md "The pieces"): per-position
// current log-probs in, loss, dLoss/dlogπ and the §6 metrics out. This file only composes: each
// paper's share is a stage in its own file (KernelStage.swift says how stages hook in), chosen by
// the configuration (`kernelStages`). The pipeline:
//   1. sequence-level selection: staleness mask (StalenessWeights.swift), DAPO, D³S sample level
//   2. ratio reference: behaviour | decoupled π_prox supplied | interpolated (AReaL.swift)
//   3. ratio level: token (GRPO.swift; GRPO-Guard centring) | sequence-sum / sequence-mean
//      (GSPO.swift; ALP.swift's straight-through gradient)
//   4. token-level selection: D³S token level, CAPO
//   5. staleness weights w = sg(ρ_b) (StalenessWeights.swift), aggregation weights (Aggregation.swift)
//   6. advantages (Calibration-PO, OBLR-PO, ADORA, EMPG), the bounding rule per token (GRPO.swift's clip
//      with PPO.swift's dual clip, ETR, MHPO, GBPO, MDPO's plain surrogate), R²VPO's variance
//      penalty, then ∂loss/∂log x → ∂loss/∂log π (GSPO.swift for the true sequence gradient)
//   7. regularisers: SAFE's controlled coefficient, k3 to the reference (GRPO.swift), MDPO's KL to
//      π_k, the entropy bonus (EntropyControl.swift), EPO's smoothing, DCPO's control
// Stop-gradient quantities (π_prox by interpolation, ALP's sg(Λ), weights, masks) are computed
// from `detachedLogProbs` (default: the same values as `logProbs`), and entropy-driven decisions
// (D³S token selection, EMPG's modulation, DCPO's weight) from `detachedEntropy` (default
// `batch.entropy`); passing fixed copies lets a finite-difference test see exactly the gradient
// the kernel returns.

import Foundation

/// Loss value, gradients for the policy's backward pass, and metrics.
package struct ObjectiveResult: Sendable {
    package var loss: Double
    /// dLoss/dlog π per position `[N·S]`.
    package var dLogProbs: [Float]
    /// dLoss/dH per position when the entropy bonus is on (the policy applies dH/dlogits).
    package var dEntropy: [Float]?
    /// dLoss/dKL per position for MDPO's `previous_kl = input` (the policy applies dKL/dlogits).
    package var dPreviousKL: [Float]?
    /// The mask after the staleness mask and the selections (1 = token counted).
    package var effectiveMask: [Float]
    package var metrics: ObjectiveMetrics

    /// The metrics under their earlier name (`res.stats.tokens`, `.clipFractionLow`, `.klBehaviourK3`, …).
    package var stats: ObjectiveMetrics { metrics }
}

/// Computes the objective of `config` at the current `logProbs` `[N·S]` with cross-step `state`.
package func objectiveLoss(_ config: ObjectiveConfig, state: ObjectiveState, batch: TokenBatch,
                          logProbs: [Float], detachedLogProbs: [Float]? = nil,
                          detachedEntropy: [Float]? = nil) throws -> ObjectiveResult {
    try config.validate()
    try batch.validate(for: config)
    if let demo = batch.demonstration, demo.contains(true) {
        // Demonstration rows leave the pipeline; their terms come after (Demonstrations.swift).
        return try objectiveLossWithDemonstrations(config, state: state, batch: batch, logProbs: logProbs,
                                                   detachedLogProbs: detachedLogProbs, detachedEntropy: detachedEntropy)
    }
    let n = batch.count * batch.length
    let det = detachedLogProbs ?? logProbs
    if let e = detachedEntropy, e.count != n {
        throw ObjectiveError.shapeMismatch("detached_entropy: expected \(n) values, got \(e.count)")
    }
    for (name, a) in [("logprobs", logProbs), ("detached_logprobs", det)] {
        guard a.count == n else { throw ObjectiveError.shapeMismatch("\(name): expected \(n) values, got \(a.count)") }
        for k in 0..<n where batch.mask[k] != 0 && !a[k].isFinite {
            throw ObjectiveError.nonFinite(what: name, index: k, value: a[k])
        }
    }
    var p = KernelPass(config: config, state: state, batch: batch, logProbs: logProbs, detachedLogProbs: det,
                       detachedEntropy: detachedEntropy ?? batch.entropy)
    let stages = config.kernelStages

    // 1. Sequence-level selection.
    p.staleness = try sequenceStaleness(batch)
    if let rewards = batch.rewards, let ids = batch.groupIDs {
        p.m.zeroVarianceGroupFraction = zeroVarianceGroupFraction(rewards: rewards, groupIDs: ids)
    }
    for s in stages { try s.selectSequences(&p) }
    p.keep = [Float](repeating: 0, count: n)
    for k in 0..<n where batch.mask[k] != 0 && p.seqKeep[k / p.S] { p.keep[k] = 1 }

    // 2. Ratio reference (AReaL.swift) and the log-ratios against it.
    p.prox = try proximalLogProbs(config.reference, batch: batch, detachedLogProbs: det)
    p.logRatios()

    // 3. Ratio level: token (GRPO.swift) or one ratio per sequence (GSPO.swift, ALP.swift).
    for s in stages { s.centreRatios(&p) }
    if config.ratioLevel == .token { p.tokenRatios() } else { p.sequenceRatios() }

    // 4. Token-level selection.
    p.sequenceMask = p.keep
    for s in stages { s.selectTokens(&p) }

    // 5. Staleness weights (StalenessWeights.swift) and aggregation weights (Aggregation.swift).
    p.weights = stalenessWeights(config, logWeight: p.logWb, keep: p.sequenceMask, count: p.N, length: p.S)
    p.agg = config.aggregation.weights(mask: p.keep, count: p.N, length: p.S, lengthNorm: config.lengthNorm)

    // 6. Advantages, the bounding rule per token, batch penalties, and ∂loss/∂log x → ∂loss/∂log π.
    p.windows = config.bound == .etr ? etrWindows(config, batch: batch) : clipWindows(config, count: p.N)
    p.seqAdv = batch.advantages
    for s in stages { s.replaceAdvantages(&p) }
    p.boundTokens()
    for s in stages { s.penalise(&p) }
    if config.ratioLevel != .token && config.sequenceGradient == .sequence {
        p.sequenceGradient()
    } else {
        p.tokenGradient()
    }

    // 7. Regularisers.
    p.dH = batch.entropy == nil ? [] : [Double](repeating: 0, count: n)
    for s in stages { s.regularise(&p) }

    p.m.loss = p.m.policyLoss + p.m.variancePenalty + p.m.klReferenceTerm + p.m.entropyTerm + p.m.previousKLTerm
    fillPanel(&p.m, config: config, batch: batch, kept: p.kept, xs: p.xs, vars: p.vars, det: det,
              weights: p.weights, flags: (p.flags.low, p.flags.high, p.flags.dual), staleness: p.staleness,
              windows: p.windows)
    return ObjectiveResult(loss: p.m.loss, dLogProbs: p.dlp.map { Float($0) },
                           dEntropy: p.dHActive ? p.dH.map { Float($0) } : nil, dPreviousKL: p.dPreviousKL,
                           effectiveMask: p.keep, metrics: p.m)
}

extension ObjectiveConfig {
    /// The kernel's stages for this configuration, in pipeline order (each hook runs in this order).
    var kernelStages: [any KernelStage] {
        var s: [any KernelStage] = []
        if maskStalenessAbove != nil { s.append(StalenessMask()) }
        if dynamicSampling { s.append(DynamicSampling()) }
        if d3sSampleKeep != nil || d3sTokenKeep != nil { s.append(D3SDownSampling()) }
        if ratioNorm { s.append(GRPOGuardCentring()) }
        if capoThreshold != nil { s.append(CAPOMask()) }
        if calibrationAdvantage { s.append(CalibrationAdvantages()) }
        if oblrBaseline { s.append(OBLRBaseline()) }
        if adoraLambda != nil { s.append(ADORAWeighting()) }
        if empgK != nil { s.append(EMPGModulation()) }
        if bound == .variance { s.append(R2VPOPenalty()) }
        if safe { s.append(SAFEController()) }
        s.append(ReferenceKL())
        if previousKL != .off { s.append(MDPOPreviousKL()) }
        s.append(EntropyBonus())
        if epoSmoothing != nil { s.append(EPOSmoothing()) }
        if dcpoAlpha != nil { s.append(DCPOControl()) }
        if oblrLR != .constant { s.append(OBLRLearningRate()) }   // update-level hooks only
        if pipoBeta != nil { s.append(PIPOFeedback()) }
        if sftCoef > 0 { s.append(RPOSFT()) }                        // demonstration rows only
        if offlineWeight != nil { s.append(HNPGOffline()) }
        return s
    }
}

extension KernelPass {
    /// 2. log ρ_b (clamped), live and detached log u over the loss mask.
    mutating func logRatios() {
        logWb = [Double](repeating: 0, count: n); uLive = logWb; uDet = logWb
        let mu = batch.behaviourLogProbs
        for k in 0..<n where batch.mask[k] != 0 {
            logWb[k] = clamp(Double(prox[k]) - Double(mu[k]))
            uLive[k] = Double(logProbs[k]) - Double(prox[k])
            uDet[k] = Double(det[k]) - Double(prox[k])
        }
    }

    /// 6. Every kept token's term under the bounding rule, weighted by aggregation × staleness
    /// weight: the policy loss, ∂loss/∂log x, the bound flags, and the kept ratios x.
    mutating func boundTokens() {
        gLog = [Double](repeating: 0, count: n)
        let dual = config.dualClip.map(Double.init)
        for k in 0..<n where keep[k] != 0 {
            kept.append(k)
            let i = k / S, a = tokenAdv?[k] ?? Double(seqAdv[i]), x = exp(logX[k])
            let term: TokenTerm
            switch config.bound {
            case .none, .variance: term = plainTerm(x: x, a: a)                         // MDPO.swift
            case .clip, .etr:                                                           // GRPO.swift, PPO.swift
                term = dualClipFloor(clipTerm(x: x, a: a, low: windows[i].low, high: windows[i].high), a: a, c: dual)
            case .mhpo: term = mhpoTerm(logX: logX[k], a: a, config: config)            // MHPO.swift
            case .boundedRatio:                                                         // GBPO.swift
                term = boundedRatioTerm(logX: logX[k], a: a, low: windows[i].low, high: windows[i].high)
            }
            switch term.flag {
            case .none: break
            case .low: flags.low += 1
            case .high: flags.high += 1
            case .dual: flags.dual += 1
            }
            let wk = Double(agg[k]) * weights.weights[k]
            m.policyLoss += wk * term.loss
            gLog[k] = wk * term.dLogRatio
        }
        xs = kept.map { exp(logX[$0]) }
        vars = ratioVariances(xs)
    }
}

/// The convenience form with the initial state for `config` (λ = λ₀, step 0).
package func surrogateLoss(_ config: ObjectiveConfig, batch: TokenBatch, logProbs: [Float]) throws -> ObjectiveResult {
    try objectiveLoss(config, state: ObjectiveState(config: config), batch: batch, logProbs: logProbs)
}
