// The learner's update: one training batch → K epochs × M shuffled minibatches of the
// objective's loss (Objectives' composable kernel, ALGORITHMS.md §6) through the policy's
// forward/backward, gradient-norm clipping and AdamW. Deterministic from the shuffle seed,
// so `tributary replay` reproduces an update bit-for-bit from the checkpoint taken before it.
// This file holds the log-probs-first arrangement of a minibatch's passes (any objective);
// PolicyTrainer+RowPasses.swift the per-pass one for row-separable objectives and the choice.

import Objectives
import Policy
import Rollout
import Tensor

/// Hyper-parameters of one update (recorded in batch metadata and checkpoints).
package struct UpdateSettings: Codable, Sendable, Equatable {
    package var epochs: Int
    package var minibatches: Int
    package var optimizer: AdamWConfig
    /// Global gradient-norm clip (0 = off).
    package var gradClip: Float
    /// Skip the optimizer step for a minibatch whose advantages are all zero: it carries no
    /// reward signal, and AdamW's normalised step would still move the weights by about the
    /// learning rate along noise (ALGORITHMS.md §6). This also skips the advantage-free
    /// terms (R²VPO's variance brake, KL terms) on such minibatches: measured, stepping on them
    /// destroyed the warm start (docs/experiments.md). Disable with `--no-skip-zero-advantage`.
    package var skipZeroAdvantage: Bool
    package var objective: ObjectiveConfig

    package init(epochs: Int = 2, minibatches: Int = 2, optimizer: AdamWConfig, gradClip: Float = 1,
                skipZeroAdvantage: Bool = true, objective: ObjectiveConfig = ObjectiveConfig()) {
        self.epochs = epochs; self.minibatches = minibatches; self.optimizer = optimizer
        self.gradClip = gradClip; self.skipZeroAdvantage = skipZeroAdvantage; self.objective = objective
    }

    /// Refuses an objective this update arrangement cannot feed: OBLR-PO's SNR learning rate
    /// (`oblr_lr = snr`, OBLRPO.swift) needs at least 2 minibatch gradients per epoch to measure noise.
    package func checkObjectiveSupport() throws {
        if objective.needsGradientMoments && minibatches < 2 {
            throw ObjectiveError.trainerUnsupported(
                key: "oblr_lr", value: objective.oblrLR.rawValue,
                reason: "the gradient SNR needs at least 2 minibatches per epoch (minibatches = \(minibatches)); set minibatches ≥ 2 or oblr_lr=constant")
        }
    }
}

/// What one update did, for logs and the status endpoint.
package struct UpdateStats: Codable, Sendable {
    package var optimizerSteps = 0
    package var skippedMinibatches = 0
    package var meanLoss = 0.0
    package var meanGradNorm = 0.0
    package var maxGradNorm = 0.0
    /// The objective's metrics of the last optimizer step (ALGORITHMS.md §6 panel).
    package var metrics: ObjectiveMetrics?
    /// Across all optimizer steps of the update: the largest ratio, the largest q99.9, the
    /// mean k3 KL to the behaviour policy and the mean exact entropy.
    package var ratioMax = 0.0
    package var ratioQ999Max = 0.0
    package var klBehaviour = 0.0
    package var entropy = 0.0
    /// The factor applied to the learning rate of every optimizer step of the update (OBLR-PO's SNR
    /// rule, PIPO's feedback; ObjectiveState.swift's `LearningRateScale`); nil when none applies.
    package var learningRateScale: Double? = nil
    package init() {}
}

/// Owns the policy, its optimizer and the objective's cross-step state, and applies updates.
/// Not Sendable: confine to one task.
package final class PolicyTrainer {
    package let model: GPT
    package let optimizer: AdamW
    package var settings: UpdateSettings
    package var objectiveState: ObjectiveState
    /// Frozen reference policy for the k3 KL term (`kl_coef > 0`): the initial weights.
    var reference: GPT?
    /// π_k of MDPO's exact KL (`previous_kl = input`): the weights at the start of the current
    /// update (PolicyTrainer+PreviousPolicy.swift); nil for every other objective.
    var previousPolicy: GPT?
    /// Activation memory one forward/backward pass may use. A minibatch whose activations would
    /// exceed it runs in row chunks whose gradients accumulate (exact: rows are independent): for a
    /// row-separable objective at no extra cost (PolicyTrainer+RowPasses.swift), otherwise at the
    /// cost of one more forward pass; nil = always the whole minibatch at once.
    package var activationBudgetBytes: Int? = 1 << 30
    /// How a minibatch's passes are arranged (`PassStrategy`; tests and benchmarks compare them).
    package var passStrategy: PassStrategy = .automatic
    /// The rows whose training forward the model still holds after `lossAndGradient`.
    var cachedRows: Range<Int>?
    /// Per-pass minibatches whose final log-prob gradient differed from the one their passes went
    /// backward with, and that were therefore redone log-probs first (0 unless `passStrategy` is
    /// `.perPass` on a coupled objective, or `ObjectiveConfig.rowCoupling` misses a coupling).
    var perPassFallbacks = 0

    package init(model: GPT, optimizer: AdamW? = nil, settings: UpdateSettings, objectiveState: ObjectiveState? = nil) throws {
        self.model = model
        self.settings = settings
        self.objectiveState = objectiveState ?? ObjectiveState(config: settings.objective)
        if let optimizer {
            optimizer.config = settings.optimizer
            self.optimizer = optimizer
        } else {
            self.optimizer = AdamW(layout: model.layout, config: settings.optimizer)
        }
        try settings.objective.validate()
        // A configuration that did not come through `parse` (a batch file, a checkpoint, code)
        // gets the same refusal of knobs this trainer cannot honour.
        try settings.objective.checkTrainerSupport()
        try settings.checkObjectiveSupport()
        // ALP (ALGORITHMS.md §3): learnable per-block noise in the update forward pass only.
        // A model restored with its ALP state keeps it; otherwise start every σ_l at σ₀.
        if let alp = settings.objective.alpPerturbation, !model.alp.enabled { try model.configureALP(alp) }
    }

    /// Sets the frozen reference policy used by the k3 KL term (defaults to the weights at the first update).
    package func setReference(_ ref: GPT) { reference = ref }

    /// The minibatch row sets of every epoch: a Fisher–Yates permutation per epoch from
    /// `shuffleSeed`, split into `minibatches` nearly equal contiguous chunks.
    package static func schedule(count: Int, epochs: Int, minibatches: Int, shuffleSeed: UInt64) -> [[Int]] {
        var rng = Xoshiro256(seed: shuffleSeed)
        var out: [[Int]] = []
        let m = max(1, min(minibatches, count))
        for _ in 0..<epochs {
            var perm = Array(0..<count)
            if count > 1 {
                for i in stride(from: count - 1, to: 0, by: -1) {
                    let j = Int(rng.next() % UInt64(i + 1))
                    perm.swapAt(i, j)
                }
            }
            for k in 0..<m { out.append(Array(perm[(k * count / m)..<((k + 1) * count / m)])) }
        }
        return out
    }

    /// Rows per training forward pass (activations kept for the backward) for sequences of
    /// `length` tokens under `activationBudgetBytes`; with `forBackward: false`, rows per
    /// inference-only pass (which keeps one layer's buffers, so it is many more).
    package func rowsPerPass(length T: Int, forBackward: Bool = true) -> Int {
        guard let budget = activationBudgetBytes else { return .max }
        return max(1, budget / max(1, model.config.activationBytesPerToken(length: T, forBackward: forBackward) * T))
    }

    /// Row ranges of `count` rows in passes of `k`.
    static func chunks(_ rows: Range<Int>, _ k: Int) -> [Range<Int>] {
        stride(from: rows.lowerBound, to: rows.upperBound, by: k).map { $0..<min($0 + k, rows.upperBound) }
    }

    /// The objective's inputs for one minibatch (reference log-probs, entropies) and its result
    /// at the model's current weights; `cachedRows` says which rows' training forward stays cached
    /// for `backwardLiveRows`.
    ///
    /// A minibatch within the activation budget is one training pass. A larger one (no ALP) gets
    /// its log-probs from inference-only passes over all but its last `rowsPerPass` rows and one
    /// training pass over those, whose activations the backward then uses without running them
    /// again. With ALP, whose noise depends on a row's place in its pass, every pass is a training
    /// pass of `rowsPerPass` rows, and the backward repeats them exactly. With MDPO's exact KL
    /// (`previous_kl = input`) π_k runs forward on each pass's rows after the model, for the KL
    /// inputs, and is left holding the cached rows' forward for the backward.
    func lossAndGradient(_ mb: TrainingBatch, learnerVersion: PolicyVersion) throws -> ObjectiveResult {
        var tb = mb.tokenBatch(learnerVersion: learnerVersion)
        let o = settings.objective
        let T = mb.length, k = rowsPerPass(length: T), all = 0..<mb.count
        func sub(_ r: Range<Int>) -> TrainingBatch { r == all ? mb : mb.rows(Array(r)) }
        if o.needsReferenceLogProbs { tb.referenceLogProbs = try referenceLogProbs(mb) }
        // With ALP the numerator is the perturbed policy; the noise is keyed by the optimizer
        // step, so a replay from the same checkpoint draws the same noise.
        let perturb: UInt64? = model.alp.enabled ? UInt64(optimizer.step) : nil
        var passes: [(rows: Range<Int>, keep: Bool)]
        if mb.count <= k {
            passes = [(all, true)]
        } else if model.alp.enabled {
            passes = Self.chunks(all, k).map { ($0, true) }
        } else {
            let tail = (mb.count - k)..<mb.count
            passes = Self.chunks(0..<tail.lowerBound, rowsPerPass(length: T, forBackward: false)).map { ($0, false) }
            passes.append((tail, true))
        }
        var lp: [Float] = [], entropy: [Float] = [], curvature: [Float] = [], previousKL: [Float] = []
        model.tracksCurvature = o.capoThreshold != nil   // CAPO's exact curvature input
        for p in passes {
            let b = sub(p.rows)
            lp += try model.forward(tokens: b.tokens, batch: b.count, length: T, perturbStep: perturb, forBackward: p.keep)
            entropy += model.entropies()     // exact, cheap for small vocabularies (metrics, D³S)
            curvature += model.curvatures()
            if let previous = try forwardPrevious(b) { previousKL += try model.previousKL(to: previous) }
        }
        model.tracksCurvature = false
        cachedRows = passes.last!.rows
        tb.entropy = entropy
        tb.curvature = curvature.isEmpty ? nil : curvature
        if o.previousKL == .input { tb.previousKL = previousKL }
        return try objectiveLoss(o, state: objectiveState, batch: tb, logProbs: lp)
    }

    /// The frozen reference policy's log-probs of `mb` (inference-only passes), taking the
    /// current weights as the reference on first use.
    func referenceLogProbs(_ mb: TrainingBatch) throws -> [Float] {
        let ref: GPT
        if let reference { ref = reference } else {
            ref = try GPT(config: model.config)
            try ref.copyParameters(from: model)
            reference = ref
        }
        let T = mb.length, all = 0..<mb.count
        var out: [Float] = []
        for c in Self.chunks(all, rowsPerPass(length: T, forBackward: false)) {
            let b = c == all ? mb : mb.rows(Array(c))
            out += try ref.forward(tokens: b.tokens, batch: b.count, length: T, forBackward: false)
        }
        return out
    }

    /// Applies the update for `batch`, trained at policy version `learnerVersion`. Every optimizer
    /// step runs at the configured learning rate times the objective's factor for this update
    /// (`ObjectiveConfig.learningRateScale`, from the cross-update state and the batch's mean
    /// reward); afterwards the objective's cross-update state sees the batch's mean reward and,
    /// when it asks for it, the SNR of the minibatch gradients (taken before the norm clip).
    @discardableResult
    package func update(_ batch: TrainingBatch, learnerVersion: PolicyVersion, shuffleSeed: UInt64) throws -> UpdateStats {
        try settings.checkObjectiveSupport()
        var st = UpdateStats()
        let o = settings.objective
        let meanReward = batch.sampledMeanReward        // demonstration rows are not rollouts
        let scale = o.learningRateScale(state: objectiveState, meanReward: meanReward)
        let learningRate: Float? = scale.value == 1 ? nil : optimizer.config.learningRate * Float(scale.value)
        var moments = o.needsGradientMoments ? GradientMoments(parameters: model.layout.count) : nil
        try snapshotPreviousPolicy()    // π_k of MDPO's exact KL: this update's starting weights
        let plan = Self.schedule(count: batch.count, epochs: settings.epochs, minibatches: settings.minibatches,
                                 shuffleSeed: shuffleSeed)
        for rows in plan where !rows.isEmpty {
            let mb = batch.rows(rows)
            // (RPO's SFT term on demonstration rows is a learning signal of its own.)
            if settings.skipZeroAdvantage && mb.advantages.allSatisfy({ $0 == 0 }) && !(o.sftCoef > 0 && mb.hasDemonstrations) {
                st.skippedMinibatches += 1
                continue
            }
            let res = try minibatchGradient(mb, learnerVersion: learnerVersion)
            moments?.add(UnsafeBufferPointer(start: model.grads.base, count: model.layout.count))
            let norm = settings.gradClip > 0 ? model.clipGradients(maxNorm: settings.gradClip) : model.gradientNorm()
            try optimizer.update(model, learningRate: learningRate)
            objectiveState.update(afterStep: res, config: o)
            st.optimizerSteps += 1
            st.meanLoss += res.loss
            st.meanGradNorm += Double(norm)
            st.maxGradNorm = max(st.maxGradNorm, Double(norm))
            var metrics = res.metrics
            scale.fill(&metrics)
            st.metrics = metrics
            st.ratioMax = max(st.ratioMax, res.metrics.ratioMax)
            st.ratioQ999Max = max(st.ratioQ999Max, res.metrics.ratioQ999)
            st.klBehaviour += res.metrics.klBehaviourK3
            st.entropy += res.metrics.entropy ?? 0
        }
        if st.optimizerSteps > 0 {
            let n = Double(st.optimizerSteps)
            st.meanLoss /= n; st.meanGradNorm /= n; st.klBehaviour /= n; st.entropy /= n
        }
        if scale.oblrScale != nil || scale.pipoScale != nil { st.learningRateScale = scale.value }
        objectiveState.update(afterUpdate: UpdateObservation(meanReward: meanReward, gradientSNR: moments?.snr), config: o)
        return st
    }

    /// Backward through the rows that carry a gradient. The backward pass is linear in
    /// `dLogProbs`, `dEntropy` (dLoss/dH per position, the entropy terms) and `dPreviousKL`
    /// (dLoss/dKL(π_θ‖π_k) per position, MDPO's exact KL), so a row whose entries are all zero in
    /// all three (every sample of a zero-variance group under GRPO-style
    /// advantages, when no advantage-free term touches it) adds exactly nothing
    /// to any parameter gradient. When the minibatch was one pass and at most two thirds of its
    /// rows are live, they are run forward again on their own (each row's forward is independent
    /// of the other rows) and the backward covers only them: (1 + 3f)/3 of the full forward +
    /// backward for a live fraction f. Otherwise the cached pass (`cachedRows`) goes backward as
    /// it is, and the other live rows run forward again in passes of `rowsPerPass` rows. ALP draws
    /// its noise per position in a pass, so with ALP every row goes backward, in the loss's passes.
    /// With `dPreviousKL`, π_k (`previousPolicy`) must hold its forward on `cachedRows` (as
    /// `lossAndGradient` leaves it) and runs forward again with every re-run of the model.
    /// Returns how many rows the backward pass covered.
    @discardableResult
    func backwardLiveRows(_ mb: TrainingBatch, _ d: [Float], dEntropy e: [Float]? = nil,
                          dPreviousKL k: [Float]? = nil) throws -> Int {
        let T = mb.length
        func carries(_ a: [Float]?, _ r: Int) -> Bool { a?[(r * T)..<((r + 1) * T)].contains { $0 != 0 } ?? false }
        let live = (0..<mb.count).filter { r in carries(d, r) || carries(e, r) || carries(k, r) }
        if live.isEmpty { return 0 }                    // gradients stay zero (zeroGradients)
        func slice(_ rows: [Int], _ a: [Float]) -> [Float] {
            var out = [Float]()
            out.reserveCapacity(rows.count * T)
            for r in rows { out += a[(r * T)..<((r + 1) * T)] }
            return out
        }
        // One backward over `rows` (nil: the whole minibatch as it is) with the per-position
        // gradients; π_k holds its forward on the same rows.
        let previous = k == nil ? nil : previousPolicy
        func backward(_ rows: [Int]?) throws {
            guard let rows else { return try model.backward(dLogProbs: d, dEntropy: e, dPreviousKL: k, previous: previous) }
            try model.backward(dLogProbs: slice(rows, d), dEntropy: e.map { slice(rows, $0) },
                               dPreviousKL: k.map { slice(rows, $0) }, previous: previous)
        }
        let cached = cachedRows ?? 0..<0
        let run = model.alp.enabled ? Array(0..<mb.count) : live
        var covered = 0
        var rest = run
        if cached.count == mb.count {
            if model.alp.enabled || live.count * 3 > mb.count * 2 {
                try backward(nil)
                return mb.count
            }
        } else if run.contains(where: cached.contains) {
            try backward(Array(cached))
            covered = cached.count
            rest = run.filter { !cached.contains($0) }
        }
        cachedRows = nil
        let perturb: UInt64? = model.alp.enabled ? UInt64(optimizer.step) : nil
        for c in Self.chunks(0..<rest.count, rowsPerPass(length: T)) {
            let ids = Array(rest[c])
            let b = mb.rows(ids)
            _ = try model.forward(tokens: b.tokens, batch: b.count, length: T, perturbStep: perturb)
            if k != nil { _ = try forwardPrevious(b) }
            try backward(ids)
            covered += ids.count
        }
        return covered
    }

    /// The objective's gradient for the whole batch at the current weights (no update): the
    /// MODEL.md gradient file's content. Leaves the gradients in `model.grads`.
    /// With MDPO's exact KL, π_k is the current weights, as at an update's first minibatch.
    package func gradient(of batch: TrainingBatch, learnerVersion: PolicyVersion) throws -> ObjectiveResult {
        try snapshotPreviousPolicy()
        return try minibatchGradient(batch, learnerVersion: learnerVersion)
    }
}
