// Demonstration rows in the loss kernel (proto/PROTOCOL.md §6.5.3; docs/algorithms.md "rpo",
// "hnpg"). A demonstration row holds the task's reference completion after its group's prompt;
// no policy sampled it, so it has no behaviour log-probs, no importance ratio, no staleness. The
// kernel therefore runs its whole pipeline (Kernel.swift: selection, ratios, bounds, weights,
// regularisers, the panel) on the sampled rows alone, exactly as without demonstrations, and then
// lets the stages that use demonstrations add their terms on the demonstration rows
// (`KernelStage.demonstrate`: RPO.swift's SFT term, HNPG.swift's off-policy term):
//   loss = loss_pipeline(sampled rows) + Σ_stages term(demonstration rows)
// Both terms are linear in log π with coefficients fixed before any forward pass (advantages,
// mask counts), so the kernel stays row-separable (Separability.swift).

import Foundation

/// The demonstration rows of one kernel call and the terms the stages add on them.
struct DemonstrationPass {
    let config: ObjectiveConfig
    let batch: TokenBatch
    /// Live log π per position `[N·S]`.
    let logProbs: [Float]
    /// The demonstration rows, and their loss-token positions `k = i·S + t`.
    let rows: [Int]
    let tokens: [Int]
    /// Loss-mask tokens of the sampled rows (HNPG's normaliser: a demonstration token weighs like
    /// `offline_weight` sampled tokens).
    let sampledTokens: Int
    /// The terms' loss and ∂loss/∂log π per position.
    var loss = 0.0
    var dlp: [Double]
    var m = ObjectiveMetrics()

    init(config: ObjectiveConfig, batch: TokenBatch, logProbs: [Float], demonstration: [Bool]) {
        self.config = config; self.batch = batch; self.logProbs = logProbs
        let S = batch.length
        rows = (0..<batch.count).filter { demonstration[$0] }
        tokens = rows.flatMap { i in (i * S..<(i + 1) * S).filter { batch.mask[$0] != 0 } }
        var sampled = 0
        for i in 0..<batch.count where !demonstration[i] {
            for k in (i * S)..<((i + 1) * S) where batch.mask[k] != 0 { sampled += 1 }
        }
        sampledTokens = sampled
        dlp = [Double](repeating: 0, count: batch.count * S)
    }

    /// Mean −log π over the demonstration tokens (0 without any).
    var meanNLL: Double {
        tokens.isEmpty ? 0 : -tokens.reduce(0.0) { $0 + Double(logProbs[$1]) } / Double(tokens.count)
    }
}

extension TokenBatch {
    /// The rows `rows` as their own minibatch, every optional input included (the demonstration
    /// flags too, nil when none of the rows is one).
    func rows(_ rows: [Int]) -> TokenBatch {
        let S = length
        func seq(_ a: [Float]) -> [Float] { rows.flatMap { a[($0 * S)..<(($0 + 1) * S)] } }
        var b = TokenBatch(count: rows.count, length: S, behaviourLogProbs: seq(behaviourLogProbs), mask: seq(mask),
                           advantages: rows.map { advantages[$0] })
        b.rewards = rewards.map { r in rows.map { r[$0] } }
        b.groupIDs = groupIDs.map { g in rows.map { g[$0] } }
        b.versions = versions.map { v in rows.map { v[$0] } }
        b.learnerVersion = learnerVersion; b.proximalVersion = proximalVersion; b.thetaVersion = thetaVersion
        b.proximalLogProbs = proximalLogProbs.map(seq); b.referenceLogProbs = referenceLogProbs.map(seq)
        b.entropy = entropy.map(seq); b.previousKL = previousKL.map(seq); b.curvature = curvature.map(seq)
        b.advantageStats = advantageStats
        if let d = demonstration, rows.contains(where: { d[$0] }) { b.demonstration = rows.map { d[$0] } }
        return b
    }
}

/// The kernel on a batch with demonstration rows (file comment): the pipeline on the sampled rows,
/// its outputs scattered back (demonstration rows get no pipeline gradient), then the
/// demonstration terms. The effective mask marks the demonstration tokens the terms used.
func objectiveLossWithDemonstrations(_ config: ObjectiveConfig, state: ObjectiveState, batch: TokenBatch,
                                     logProbs: [Float], detachedLogProbs: [Float]?,
                                     detachedEntropy: [Float]?) throws -> ObjectiveResult {
    let demo = batch.demonstration ?? []
    let S = batch.length, n = batch.count * S
    for (name, a) in [("logprobs", logProbs), ("detached_logprobs", detachedLogProbs), ("detached_entropy", detachedEntropy)] {
        if let a, a.count != n { throw ObjectiveError.shapeMismatch("\(name): expected \(n) values, got \(a.count)") }
    }
    for k in 0..<n where batch.mask[k] != 0 && !logProbs[k].isFinite {
        throw ObjectiveError.nonFinite(what: "logprobs", index: k, value: logProbs[k])
    }
    let sampledRows = (0..<batch.count).filter { !demo[$0] }
    func seq(_ a: [Float]) -> [Float] { sampledRows.flatMap { a[($0 * S)..<(($0 + 1) * S)] } }
    var res: ObjectiveResult
    if sampledRows.isEmpty {
        res = ObjectiveResult(loss: 0, dLogProbs: [], dEntropy: nil, dPreviousKL: nil, effectiveMask: [], metrics: ObjectiveMetrics())
    } else {
        var sub = batch.rows(sampledRows)
        sub.demonstration = nil
        res = try objectiveLoss(config, state: state, batch: sub, logProbs: seq(logProbs),
                                detachedLogProbs: detachedLogProbs.map(seq), detachedEntropy: detachedEntropy.map(seq))
    }
    // Scatter the sampled rows' outputs back to the full batch.
    func scatter(_ a: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        for (j, r) in sampledRows.enumerated() { out.replaceSubrange((r * S)..<((r + 1) * S), with: a[(j * S)..<((j + 1) * S)]) }
        return out
    }
    var dLogProbs = sampledRows.isEmpty ? [Float](repeating: 0, count: n) : scatter(res.dLogProbs)
    var effective = sampledRows.isEmpty ? [Float](repeating: 0, count: n) : scatter(res.effectiveMask)
    let dEntropy = res.dEntropy.map(scatter), dPreviousKL = res.dPreviousKL.map(scatter)

    var d = DemonstrationPass(config: config, batch: batch, logProbs: logProbs, demonstration: demo)
    for s in config.kernelStages { s.demonstrate(&d) }
    for k in d.tokens {
        dLogProbs[k] += Float(d.dlp[k])
        effective[k] = 1
    }
    var m = res.metrics
    m.demonstrationTokens = Double(d.tokens.count)
    m.demonstrationNLL = d.meanNLL
    m.sftTerm = d.m.sftTerm
    m.offlineTerm = d.m.offlineTerm
    m.offlineAdvantageMean = d.m.offlineAdvantageMean
    m.loss += d.loss
    return ObjectiveResult(loss: res.loss + d.loss, dLogProbs: dLogProbs, dEntropy: dEntropy, dPreviousKL: dPreviousKL,
                           effectiveMask: effective, metrics: m)
}
