// The composable loss kernel (ALGORITHMS.md §6): per-position current log-probs in, loss,
// dLoss/dlogπ and the §6 metrics out. Pieces, in order:
//   1. sequence-level selection: staleness cap, DAPO dynamic sampling, D³S sample level
//   2. ratio reference (behaviour | decoupled π_prox supplied | interpolated, AReaL.swift)
//   3. ratio level (token | sequence-sum | sequence-mean, GSPO.swift)
//   4. token-level selection: D³S token level, CAPO
//   5. staleness weights w = sg(ρ_b) (StalenessWeights.swift), aggregation weights (§1.4)
//   6. bounding rule per token (PPOClip / ETR / MHPO / GBPO / R²VPO), R²VPO variance penalty,
//      with EMPG's entropy-modulated token advantages when on (EMPG.swift)
//   7. regularisers: k3 to reference (SAFE-controlled coefficient), MDPO KL to π_k, entropy
//      terms (Regularisers, MDPO, SAFE, EntropyControl: bonus, EPO smoothing, DCPO)
// Stop-gradient quantities (π_prox by interpolation, ALP's sg(Λ), weights, masks) are computed
// from `detachedLogProbs` (default: the same values as `logProbs`), and entropy-driven decisions
// (D³S token selection, EMPG's modulation, DCPO's weight) from `detachedEntropy` (default
// `batch.entropy`); passing fixed copies lets a finite-difference test see exactly the gradient
// the kernel returns.

import Foundation

/// Loss value, gradients for the policy's backward pass, and metrics.
public struct ObjectiveResult: Sendable {
    public var loss: Double
    /// dLoss/dlog π per position `[N·S]`.
    public var dLogProbs: [Float]
    /// dLoss/dH per position when the entropy bonus is on (the policy applies dH/dlogits).
    public var dEntropy: [Float]?
    /// dLoss/dKL per position for MDPO's `previous_kl = input` (the policy applies dKL/dlogits).
    public var dPreviousKL: [Float]?
    /// The mask after staleness cap and selections (1 = token counted).
    public var effectiveMask: [Float]
    public var metrics: ObjectiveMetrics

    /// The metrics under their earlier name (`res.stats.tokens`, `.clipFractionLow`, `.klBehaviourK3`, …).
    public var stats: ObjectiveMetrics { metrics }
}

/// Computes the objective of `config` at the current `logProbs` `[N·S]` with cross-step `state`.
public func objectiveLoss(_ config: ObjectiveConfig, state: ObjectiveState, batch: TokenBatch,
                          logProbs: [Float], detachedLogProbs: [Float]? = nil,
                          detachedEntropy: [Float]? = nil) throws -> ObjectiveResult {
    try config.validate()
    try batch.validate(for: config)
    let (N, S) = (batch.count, batch.length), n = N * S
    let det = detachedLogProbs ?? logProbs
    if let e = detachedEntropy, e.count != n {
        throw ObjectiveError.shapeMismatch("detached_entropy: expected \(n) values, got \(e.count)")
    }
    let entDet = detachedEntropy ?? batch.entropy
    for (name, a) in [("logprobs", logProbs), ("detached_logprobs", det)] {
        guard a.count == n else { throw ObjectiveError.shapeMismatch("\(name): expected \(n) values, got \(a.count)") }
        for k in 0..<n where batch.mask[k] != 0 && !a[k].isFinite {
            throw ObjectiveError.nonFinite(what: name, index: k, value: a[k])
        }
    }
    var m = ObjectiveMetrics()
    let C = Double(config.logRatioClamp)
    func clamp(_ x: Double) -> Double { min(max(x, -C), C) }
    let mu = batch.behaviourLogProbs

    // 1. Sequence-level selection.
    var seqKeep = [Bool](repeating: true, count: N)
    let staleness = try sequenceStaleness(batch)
    if let cap = config.stalenessCap, let s = staleness {
        let active = (0..<N).filter { i in (0..<S).contains { batch.mask[i * S + $0] != 0 } }
        let capped = active.filter { s[$0] > cap }
        for i in capped { seqKeep[i] = false }
        m.stalenessCappedFraction = active.isEmpty ? 0 : Double(capped.count) / Double(active.count)
    }
    if let rewards = batch.rewards, let ids = batch.groupIDs {
        let groups = groupMembers(ids)
        let zero = groups.filter { !hasRewardVariance($0.map { rewards[$0] }) }.count
        m.zeroVarianceGroupFraction = groups.isEmpty ? 0 : Double(zero) / Double(groups.count)
        if config.dynamicSampling {
            let keep = dynamicSamplingKeep(rewards: rewards, groupIDs: ids)
            for i in 0..<N where !keep[i] { seqKeep[i] = false }
            m.dynamicSamplingDroppedFraction = m.zeroVarianceGroupFraction
        }
    }
    if let q0 = config.d3sSampleKeep, let ids = batch.groupIDs {
        let q = d3sKeepRatio(start: q0, step: state.step, steps: config.d3sScheduleSteps)
        let keep = d3sSelectSamples(advantages: batch.advantages, groupIDs: ids, keepRatio: q)
        for i in 0..<N where !keep[i] { seqKeep[i] = false }
        m.d3sSampleKeep = q
    }
    var keep = [Float](repeating: 0, count: n)
    for k in 0..<n where batch.mask[k] != 0 && seqKeep[k / S] { keep[k] = 1 }

    // 2. Ratio reference: log π_prox (detached) and the behaviour weight log ρ_b = log π_prox − log μ.
    var prox = mu
    switch config.reference {
    case .behaviour: break
    case .decoupled: prox = batch.proximalLogProbs!
    case .decoupledInterp: prox = try interpolatedProximalLogProbs(batch: batch, logProbs: det)
    }
    var logWb = [Double](repeating: 0, count: n)
    var uLive = [Double](repeating: 0, count: n), uDet = [Double](repeating: 0, count: n)
    for k in 0..<n where batch.mask[k] != 0 {
        logWb[k] = clamp(Double(prox[k]) - Double(mu[k]))
        uLive[k] = Double(logProbs[k]) - Double(prox[k])
        uDet[k] = Double(det[k]) - Double(prox[k])
    }

    // 3. Ratio level: log x (live), log x (detached), whether the gradient passes the clamp.
    var logX = [Double](repeating: 0, count: n), logXDet = logX
    var flows = [Bool](repeating: false, count: n)
    var seqCoef = [Double](repeating: 0, count: N)  // dΛ_i/dlog π_t for the `sequence` gradient
    if config.ratioLevel == .token {
        // GRPO-Guard: centre the log-ratios on their detached batch mean (GRPOGuard.swift).
        let b = config.ratioNorm ? guardRatioShift(detachedLogRatios: uDet, keep: keep) : 0
        if config.ratioNorm { m.ratioNormShift = b }
        for k in 0..<n where keep[k] != 0 {
            logX[k] = clamp(uLive[k] - b); logXDet[k] = clamp(uDet[k] - b); flows[k] = abs(uLive[k] - b) < C
        }
    } else {
        let mean = config.ratioLevel == .sequenceMean
        let live = sequenceLogRatios(uLive, keep: keep, count: N, length: S, mean: mean)
        let dt = sequenceLogRatios(uDet, keep: keep, count: N, length: S, mean: mean)
        for i in 0..<N { seqCoef[i] = mean ? (live.lengths[i] > 0 ? 1 / live.lengths[i] : 0) : 1 }
        for k in 0..<n where keep[k] != 0 {
            let i = k / S
            let raw = config.sequenceGradient == .sequence ? live.lambda[i] : dt.lambda[i] + uLive[k] - uDet[k]
            logX[k] = clamp(raw); logXDet[k] = clamp(dt.lambda[i]); flows[k] = abs(raw) < C
        }
    }

    // 4. Token-level selection (sequence-level weights keep using the pre-selection mask, like Λ_i).
    let sequenceMask = keep
    if let q0 = config.d3sTokenKeep, let h = entDet {
        let q = d3sKeepRatio(start: q0, step: state.step, steps: config.d3sScheduleSteps)
        let sel = d3sSelectTokens(keep: keep, advantages: batch.advantages, entropy: h, length: S, keepRatio: q)
        for k in 0..<n where !sel[k] { keep[k] = 0 }
        m.d3sTokenKeep = q
    }
    if let th = config.capoThreshold {
        let before = keep.reduce(0, +)
        let (sel, rejected) = capoKeep(keep: keep, advantages: batch.advantages, logX: logXDet,
                                       detachedLogProbs: det, curvature: batch.curvature, length: S,
                                       threshold: Double(th))
        for k in 0..<n where !sel[k] { keep[k] = 0 }
        m.capoRejectedFraction = before > 0 ? Double(rejected) / Double(before) : 0
    }

    // 5. Staleness weights and aggregation weights.
    let sw = stalenessWeights(config, logWeight: logWb, keep: sequenceMask, count: N, length: S)
    let agg = config.aggregation.weights(mask: keep, count: N, length: S, lengthNorm: config.lengthNorm)

    // 6. Bounding rule.
    let windows: [(low: Double, high: Double)] = config.bound == .etr
        ? etrWindows(config, batch: batch)
        : Array(repeating: (1 - Double(config.clipLow), 1 + Double(config.clipHigh)), count: N)
    let dual = config.dualClip.map(Double.init)
    // Sequence advantages: the batch's, calibration-aware (CalibrationPO.swift) or around OBLR-PO's
    // gradient-weighted baseline (OBLRPO.swift).
    var seqAdv = batch.advantages
    if config.calibrationAdvantage, let r = batch.rewards, let ids = batch.groupIDs {
        let conf = sequenceConfidence(detachedLogProbs: det, mask: sequenceMask, count: N, length: S)
        let cal = calibrationAdvantages(rewards: r, groupIDs: ids, confidence: conf, margin: config.calibrationMargin.map(Double.init))
        seqAdv = cal.advantages.map { Float($0) }
        m.calibrationAUC = cal.auc; m.calibrationMaskedPairFraction = cal.maskedPairFraction
    }
    if config.oblrBaseline, let r = batch.rewards, let ids = batch.groupIDs {
        let w = oblrWeights(detachedLogProbs: det, mask: sequenceMask, count: N, length: S)
        let o = oblrAdvantages(rewards: r, groupIDs: ids, weights: w, epsStd: Double(config.epsStd))
        seqAdv = o.advantages.map { Float($0) }
        m.oblrBaselineShift = o.baselineShift
    }
    var tokenAdv: [Double]? = nil
    if let k = config.empgK, let h = entDet {
        let e = empgAdvantages(advantages: seqAdv, entropy: h, kept: (0..<n).filter { keep[$0] != 0 }, length: S,
                               k: Double(k), futureK: Double(config.empgFutureK), zeta: Double(config.empgZeta))
        tokenAdv = e.advantages; m.empgScaleMin = e.scaleMin; m.empgScaleMax = e.scaleMax
    }
    var gLog = [Double](repeating: 0, count: n)  // ∂loss/∂log x per position
    var kept: [Int] = []
    var flagLow = 0, flagHigh = 0, flagDual = 0
    for k in 0..<n where keep[k] != 0 {
        kept.append(k)
        let i = k / S, a = tokenAdv?[k] ?? Double(seqAdv[i]), x = exp(logX[k])
        let term: TokenTerm
        switch config.bound {
        case .none, .variance: term = plainTerm(x: x, a: a)
        case .clip, .etr: term = clipTerm(x: x, a: a, low: windows[i].low, high: windows[i].high, dual: dual)
        case .mhpo: term = mhpoTerm(logX: logX[k], a: a, config: config)
        case .boundedRatio: term = boundedRatioTerm(logX: logX[k], a: a, low: windows[i].low, high: windows[i].high)
        }
        switch term.flag {
        case .none: break
        case .low: flagLow += 1
        case .high: flagHigh += 1
        case .dual: flagDual += 1
        }
        let wk = Double(agg[k]) * sw.weights[k]
        m.policyLoss += wk * term.loss
        gLog[k] = wk * term.dLogRatio
    }
    let xs = kept.map { exp(logX[$0]) }
    let vars = ratioVariances(xs)
    let M = Double(kept.count)
    if config.bound == .variance {
        let lambda = state.lambda
        let centre = config.variance == .central ? vars.mean : 1
        let v = config.variance == .central ? vars.central : vars.one
        m.variancePenalty = lambda * v
        m.lambda = lambda; m.dualVariance = v
        var braked = 0
        for (j, k) in kept.enumerated() {
            gLog[k] += lambda * 2 * (xs[j] - centre) * xs[j] / M  // §2.4
            let a = Double(seqAdv[k / S])
            if a != 0, (a - 2 * lambda * (xs[j] - centre)) * a < 0 { braked += 1 }
        }
        m.brakedFraction = M > 0 ? Double(braked) / M : 0
    }

    // Map ∂loss/∂log x to ∂loss/∂log π.
    var dlp = [Double](repeating: 0, count: n)
    if config.ratioLevel != .token && config.sequenceGradient == .sequence {
        var seqSum = [Double](repeating: 0, count: N)
        for k in kept where flows[k] { seqSum[k / S] += gLog[k] }
        // Every token in the sequence sum (kept before token-level selection) feeds Λ_i.
        for k in 0..<n where batch.mask[k] != 0 && seqKeep[k / S] { dlp[k] = seqCoef[k / S] * seqSum[k / S] }
    } else {
        for k in kept where flows[k] { dlp[k] = gLog[k] }
    }

    // 7. Regularisers.
    if config.safe { fillSAFEMetrics(&m, state: state.safe, batch: batch) }
    if let ref = batch.referenceLogProbs {
        var mean = 0.0
        let beta = Double(config.klCoef) + (config.safe ? state.safe?.coefficient ?? 0 : 0)
        for k in kept {
            let t = referenceK3(logProb: Double(logProbs[k]), referenceLogProb: Double(ref[k]))
            mean += t.value
            m.klReferenceTerm += beta * Double(agg[k]) * t.value
            dlp[k] += beta * Double(agg[k]) * t.dLog
        }
        m.klReference = M > 0 ? mean / M : 0
    }
    var dPrev: [Float]? = nil
    if config.previousKL != .off {
        let coef = mdpoCoefficient(config, step: state.step)
        m.mdpoCoefficient = coef
        var mean = 0.0
        if config.previousKL == .sampled {
            for k in kept {
                let t = previousKLSampled(logR: clamp(uLive[k]))
                mean += t.value
                m.previousKLTerm += coef * Double(agg[k]) * t.value
                if abs(uLive[k]) < C { dlp[k] += coef * Double(agg[k]) * t.dLog }
            }
        } else if let kl = batch.previousKL {
            var d = [Float](repeating: 0, count: n)
            for k in kept {
                mean += Double(kl[k]); m.previousKLTerm += coef * Double(agg[k]) * Double(kl[k])
                d[k] = Float(coef * Double(agg[k]))
            }
            dPrev = d
        }
        m.previousKL = M > 0 ? mean / M : 0
    }
    var dEnt: [Float]? = nil
    if let h = batch.entropy {
        dEnt = entropyTerms(config, state: state, entropy: h, detached: entDet ?? h, kept: kept, agg: agg, metrics: &m)
    }

    m.loss = m.policyLoss + m.variancePenalty + m.klReferenceTerm + m.entropyTerm + m.previousKLTerm
    fillPanel(&m, config: config, batch: batch, kept: kept, xs: xs, vars: vars, det: det,
              weights: sw, flags: (flagLow, flagHigh, flagDual), staleness: staleness, windows: windows)
    return ObjectiveResult(loss: m.loss, dLogProbs: dlp.map { Float($0) }, dEntropy: dEnt, dPreviousKL: dPrev,
                           effectiveMask: keep, metrics: m)
}

/// The convenience form with the initial state for `config` (λ = λ₀, step 0).
public func surrogateLoss(_ config: ObjectiveConfig, batch: TokenBatch, logProbs: [Float]) throws -> ObjectiveResult {
    try objectiveLoss(config, state: ObjectiveState(config: config), batch: batch, logProbs: logProbs)
}
