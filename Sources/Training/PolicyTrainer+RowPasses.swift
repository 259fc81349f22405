// The per-pass arrangement of a minibatch's forward and backward passes, and the one place that
// chooses between it and the log-probs-first arrangement (PolicyTrainer.swift).
//
// Log-probs first (any objective): the objective needs every row's log-probs before any gradient,
// so a minibatch over the activation budget runs inference-only passes for the log-probs, then
// forward again before each backward: about 7.5 forward-equivalents per token at 64 × 96 tokens
// of SmolLM2-135M under 1 GiB (docs/benchmarks.md). Per pass (row-separable objectives,
// `ObjectiveConfig.rowCoupling == nil`): each pass's rows run one training forward, the objective
// gives their log-prob gradient from their own log-probs and the batch's fixed inputs (the rows
// not yet forwarded hold their behaviour log-probs as placeholders, which a separable objective
// does not read for other rows), and the backward follows at once: 6 forward-equivalents. Rows
// that cannot carry a gradient (`zeroAdvantageRowsAreInert`, empty masks) run inference-only.
// MDPO's exact KL (`previous_kl = input`) is separable too: π_k runs forward on each training
// pass's rows, their KL joins the batch's inputs, and the pass goes backward with its dLoss/dKL.
// The loss, metrics (ratio quantiles included) and the state update come from one kernel call
// over all the log-probs at the end, exactly as log-probs first computes them; that call's
// gradient must equal the one each row went backward with, else the minibatch is redone log-probs
// first, so a coupling the classification missed costs time, never a wrong gradient.

import Objectives
import Policy
import Rollout

/// How `PolicyTrainer` arranges a minibatch's forward and backward passes.
package enum PassStrategy: String, Sendable, CaseIterable {
    /// Per pass when the objective is row-separable (`ObjectiveConfig.isRowSeparable`), else log-probs first.
    case automatic
    /// Always log-probs first: the objective sees every row's log-probs before any backward.
    case logProbsFirst = "log-probs-first"
    /// Always per pass; a coupled objective then fails the final check and is redone log-probs
    /// first (for tests of that check).
    case perPass = "per-pass"
}

extension PolicyTrainer {
    /// Zeroes the gradients, then computes the objective's result for `mb` at the current weights
    /// and accumulates its parameter gradient into `model.grads`, with the arrangement of passes
    /// `passStrategy` chooses for the objective.
    func minibatchGradient(_ mb: TrainingBatch, learnerVersion: PolicyVersion) throws -> ObjectiveResult {
        model.zeroGradients()
        let perPass = switch passStrategy {
        case .automatic: settings.objective.isRowSeparable
        case .logProbsFirst: false
        case .perPass: true
        }
        if perPass {
            if let res = try perPassLossAndGradient(mb, learnerVersion: learnerVersion) { return res }
            perPassFallbacks += 1
            model.zeroGradients()
        }
        let res = try lossAndGradient(mb, learnerVersion: learnerVersion)
        guard res.loss.isFinite else { throw ObjectiveError.invalidSetting("non-finite loss \(res.loss)") }
        try backwardLiveRows(mb, res.dLogProbs, dEntropy: res.dEntropy, dPreviousKL: res.dPreviousKL)
        return res
    }

    /// The per-pass arrangement (file comment). Returns nil when the final kernel call's log-prob
    /// gradient differs from the one the rows went backward with (the gradients are then spoiled).
    ///
    /// Without ALP: inert rows in inference-only passes, the others in training passes of
    /// `rowsPerPass` rows, each followed by its backward (skipped when the pass's gradient is all
    /// zero: the backward is linear in it). With ALP, whose noise depends on a row's place in its
    /// pass, every row is in the same training passes as log-probs first uses (`rowsPerPass` rows in
    /// order), so both draw the same noise.
    func perPassLossAndGradient(_ mb: TrainingBatch, learnerVersion: PolicyVersion) throws -> ObjectiveResult? {
        var tb = mb.tokenBatch(learnerVersion: learnerVersion)
        let o = settings.objective
        let N = mb.count, T = mb.length
        if o.needsReferenceLogProbs { tb.referenceLogProbs = try referenceLogProbs(mb) }
        let perturb: UInt64? = model.alp.enabled ? UInt64(optimizer.step) : nil
        func span(_ r: Int) -> Range<Int> { (r * T)..<((r + 1) * T) }
        var passes: [(rows: [Int], train: Bool)]
        if model.alp.enabled {
            passes = Self.chunks(0..<N, rowsPerPass(length: T)).map { (Array($0), true) }
        } else {
            let inert = (0..<N).map { r in
                (o.zeroAdvantageRowsAreInert && mb.advantages[r] == 0 && !(mb.demonstration[r] && o.sftCoef > 0))
                    || !mb.lossMask[span(r)].contains { $0 != 0 }
            }
            let dead = (0..<N).filter { inert[$0] }, live = (0..<N).filter { !inert[$0] }
            passes = Self.chunks(0..<dead.count, rowsPerPass(length: T, forBackward: false)).map { (Array(dead[$0]), false) }
            passes += Self.chunks(0..<live.count, rowsPerPass(length: T)).map { (Array(live[$0]), true) }
        }
        cachedRows = nil
        var logProbs = tb.behaviourLogProbs          // placeholders until a row's pass has run
        var entropy = [Float](repeating: 0, count: N * T)
        var used = [Float](repeating: 0, count: N * T)  // the log-prob gradient each row went backward with
        var usedEntropy: [Float]? = nil                 // and its entropy gradient, when the objective has one
        // MDPO's exact KL: the KL of each row once its pass has run (0 for rows that never go
        // backward: their masks are empty, so the kernel does not read it) and the dLoss/dKL it went
        // backward with.
        let exactKL = o.previousKL == .input
        var previousKL = [Float](repeating: 0, count: N * T), usedKL = [Float](repeating: 0, count: N * T)
        for p in passes {
            let b = p.rows.count == N ? mb : mb.rows(p.rows)
            let lp = try model.forward(tokens: b.tokens, batch: b.count, length: T, perturbStep: perturb, forBackward: p.train)
            let h = model.entropies()
            for (j, r) in p.rows.enumerated() {
                logProbs.replaceSubrange(span(r), with: lp[span(j)])
                entropy.replaceSubrange(span(r), with: h[span(j)])
            }
            guard p.train else { continue }
            let previous = try forwardPrevious(b)
            if let previous {
                let kl = try model.previousKL(to: previous)
                for (j, r) in p.rows.enumerated() { previousKL.replaceSubrange(span(r), with: kl[span(j)]) }
            }
            tb.entropy = entropy
            if exactKL { tb.previousKL = previousKL }
            let pass = try objectiveLoss(o, state: objectiveState, batch: tb, logProbs: logProbs)
            var slice = [Float](), sliceEntropy: [Float]? = pass.dEntropy.map { _ in [] }
            var sliceKL: [Float]? = pass.dPreviousKL.map { _ in [] }
            slice.reserveCapacity(p.rows.count * T)
            for r in p.rows {
                slice += pass.dLogProbs[span(r)]
                used.replaceSubrange(span(r), with: pass.dLogProbs[span(r)])
                if let k = pass.dPreviousKL {
                    sliceKL! += k[span(r)]
                    usedKL.replaceSubrange(span(r), with: k[span(r)])
                }
                if let e = pass.dEntropy {
                    sliceEntropy! += e[span(r)]
                    if usedEntropy == nil { usedEntropy = [Float](repeating: 0, count: N * T) }
                    usedEntropy!.replaceSubrange(span(r), with: e[span(r)])
                }
            }
            if slice.contains(where: { $0 != 0 }) || sliceEntropy?.contains(where: { $0 != 0 }) == true
                || sliceKL?.contains(where: { $0 != 0 }) == true {
                try model.backward(dLogProbs: slice, dEntropy: sliceEntropy, dPreviousKL: sliceKL, previous: previous)
            }
        }
        tb.entropy = entropy
        if exactKL { tb.previousKL = previousKL }
        let res = try objectiveLoss(o, state: objectiveState, batch: tb, logProbs: logProbs)
        guard res.loss.isFinite else { throw ObjectiveError.invalidSetting("non-finite loss \(res.loss)") }
        // Rows that never went backward (inert) must have no entropy gradient either.
        let entropyMatches = res.dEntropy.map { e in e == (usedEntropy ?? [Float](repeating: 0, count: N * T)) } ?? (usedEntropy == nil)
        let klMatches = (res.dPreviousKL ?? [Float](repeating: 0, count: N * T)) == usedKL
        return res.dLogProbs == used && entropyMatches && klMatches ? res : nil
    }
}
