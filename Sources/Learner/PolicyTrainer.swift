// The learner's update: one training batch → K epochs × M shuffled minibatches of the
// objective's loss (Objectives' composable kernel, ALGORITHMS.md §6) through the policy's
// forward/backward, gradient-norm clipping and AdamW. Deterministic from the shuffle seed,
// so `tributary replay` reproduces an update bit-for-bit from the checkpoint taken before it.

import Objectives
import Policy
import Tensor

/// Hyper-parameters of one update (recorded in batch metadata and checkpoints).
public struct UpdateSettings: Codable, Sendable, Equatable {
    public var epochs: Int
    public var minibatches: Int
    public var optimizer: AdamWConfig
    /// Global gradient-norm clip (0 = off).
    public var gradClip: Float
    /// Skip the optimizer step for a minibatch whose advantages are all zero: it carries no
    /// reward signal, and AdamW's normalised step would still move the weights by about the
    /// learning rate along noise (peers/README.md pitfall). This also skips the advantage-free
    /// terms (R²VPO's variance brake, KL terms) on such minibatches: measured, stepping on them
    /// destroyed the warm start (docs/experiments.md). Disable with `--no-skip-zero-advantage`.
    public var skipZeroAdvantage: Bool
    public var objective: ObjectiveConfig

    public init(epochs: Int = 2, minibatches: Int = 2, optimizer: AdamWConfig, gradClip: Float = 1,
                skipZeroAdvantage: Bool = true, objective: ObjectiveConfig = ObjectiveConfig()) {
        self.epochs = epochs; self.minibatches = minibatches; self.optimizer = optimizer
        self.gradClip = gradClip; self.skipZeroAdvantage = skipZeroAdvantage; self.objective = objective
    }
}

/// What one update did, for logs and the status endpoint.
public struct UpdateStats: Codable, Sendable {
    public var optimizerSteps = 0
    public var skippedMinibatches = 0
    public var meanLoss = 0.0
    public var meanGradNorm = 0.0
    public var maxGradNorm = 0.0
    /// The objective's metrics of the last optimizer step (ALGORITHMS.md §6 panel).
    public var metrics: ObjectiveMetrics?
    /// Across all optimizer steps of the update: the largest ratio, the largest q99.9, the
    /// mean k3 KL to the behaviour policy and the mean exact entropy.
    public var ratioMax = 0.0
    public var ratioQ999Max = 0.0
    public var klBehaviour = 0.0
    public var entropy = 0.0
    public init() {}
}

/// Owns the policy, its optimizer and the objective's cross-step state, and applies updates.
/// Not Sendable: confine to one task.
public final class PolicyTrainer {
    public let model: GPT
    public let optimizer: AdamW
    public var settings: UpdateSettings
    public var objectiveState: ObjectiveState
    /// Frozen reference policy for the k3 KL term (`kl_coef > 0`): the initial weights.
    private var reference: GPT?
    /// Activation memory one forward/backward pass may use. A minibatch whose activations would
    /// exceed it runs in row chunks whose gradients accumulate (exact: rows are independent), at
    /// the cost of one more forward pass; nil = always the whole minibatch at once.
    public var activationBudgetBytes: Int? = 1 << 30

    public init(model: GPT, optimizer: AdamW? = nil, settings: UpdateSettings, objectiveState: ObjectiveState? = nil) throws {
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
        if settings.objective.entropyCoef != 0 {
            throw ObjectiveError.invalidSetting("entropy_coef: the entropy bonus needs dH/dlogits from the policy, which it does not provide yet; use entropy_coef=0")
        }
        // ALP (ALGORITHMS.md §3): learnable per-block noise in the update forward pass only.
        // A model restored with its ALP state keeps it; otherwise start every σ_l at σ₀.
        if let s0 = settings.objective.alpSigma0, s0 > 0, !model.alp.enabled {
            try model.configureALP(ALPPerturbation(enabled: true, sigma0: s0, learnable: settings.objective.alpLearnable,
                                                   perturbLR: settings.objective.alpPerturbLR ?? 1e-2,
                                                   seed: 0xA1F))
        }
        if settings.objective.previousKL == .input {
            throw ObjectiveError.invalidSetting("previous_kl=input: the policy does not compute the exact per-position KL to π_k yet; use previous_kl=sampled")
        }
    }

    /// Sets the frozen reference policy used by the k3 KL term (defaults to the weights at the first update).
    public func setReference(_ ref: GPT) { reference = ref }

    /// The minibatch row sets of every epoch: a Fisher–Yates permutation per epoch from
    /// `shuffleSeed`, split into `minibatches` nearly equal contiguous chunks.
    public static func schedule(count: Int, epochs: Int, minibatches: Int, shuffleSeed: UInt64) -> [[Int]] {
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

    /// Rows per forward pass for sequences of `length` tokens under `activationBudgetBytes`.
    public func rowsPerPass(length T: Int) -> Int {
        guard let budget = activationBudgetBytes else { return .max }
        return max(1, budget / max(1, model.config.activationBytesPerToken(length: T) * T))
    }

    /// Row ranges of one pass each (one range when the minibatch fits the budget).
    func passes(_ mb: TrainingBatch) -> [Range<Int>] {
        let k = rowsPerPass(length: mb.length)
        return stride(from: 0, to: mb.count, by: k).map { $0..<min($0 + k, mb.count) }
    }

    /// The objective's inputs for one minibatch (reference log-probs, entropies) and its result
    /// at the model's current weights. When the minibatch is one pass, its forward stays cached
    /// for `backwardLiveRows`.
    func lossAndGradient(_ mb: TrainingBatch, learnerVersion: Int) throws -> ObjectiveResult {
        var tb = mb.tokenBatch(learnerVersion: Int64(learnerVersion))
        let o = settings.objective
        let chunks = passes(mb)
        if o.klCoef != 0 {
            if reference == nil {
                let r = try GPT(config: model.config)
                try r.copyParameters(from: model)
                reference = r
            }
            var ref: [Float] = []
            for c in chunks {
                let sub = chunks.count == 1 ? mb : mb.rows(Array(c))
                ref += try reference!.forward(tokens: sub.tokens, batch: sub.count, length: sub.length, forBackward: false)
            }
            tb.referenceLogProbs = ref
        }
        // With ALP the numerator is the perturbed policy; the noise is keyed by the optimizer
        // step, so a replay from the same checkpoint draws the same noise.
        let perturb: UInt64? = model.alp.enabled ? UInt64(optimizer.step) : nil
        var lp: [Float] = [], entropy: [Float] = []
        // Several passes: this forward only gives log-probs (backwardLiveRows runs each pass again
        // with activations kept), so it keeps none — unless ALP, whose noise must be the same twice.
        let keep = chunks.count == 1 || model.alp.enabled
        for c in chunks {
            let sub = chunks.count == 1 ? mb : mb.rows(Array(c))
            lp += try model.forward(tokens: sub.tokens, batch: sub.count, length: sub.length, perturbStep: perturb,
                                    forBackward: keep)
            entropy += model.entropies()     // exact, cheap for small vocabularies (metrics, D³S)
        }
        tb.entropy = entropy
        return try objectiveLoss(o, state: objectiveState, batch: tb, logProbs: lp)
    }

    /// Applies the update for `batch`, trained at policy version `learnerVersion`.
    @discardableResult
    public func update(_ batch: TrainingBatch, learnerVersion: Int, shuffleSeed: UInt64) throws -> UpdateStats {
        var st = UpdateStats()
        let plan = Self.schedule(count: batch.count, epochs: settings.epochs, minibatches: settings.minibatches,
                                 shuffleSeed: shuffleSeed)
        for rows in plan where !rows.isEmpty {
            let mb = batch.rows(rows)
            if settings.skipZeroAdvantage && mb.advantages.allSatisfy({ $0 == 0 }) {
                st.skippedMinibatches += 1
                continue
            }
            model.zeroGradients()
            let res = try lossAndGradient(mb, learnerVersion: learnerVersion)
            guard res.loss.isFinite else { throw ObjectiveError.invalidSetting("non-finite loss \(res.loss)") }
            try backwardLiveRows(mb, res.dLogProbs)
            let norm = settings.gradClip > 0 ? model.clipGradients(maxNorm: settings.gradClip) : model.gradientNorm()
            try optimizer.update(model)
            objectiveState.update(afterStep: res, config: settings.objective)
            st.optimizerSteps += 1
            st.meanLoss += res.loss
            st.meanGradNorm += Double(norm)
            st.maxGradNorm = max(st.maxGradNorm, Double(norm))
            st.metrics = res.metrics
            st.ratioMax = max(st.ratioMax, res.metrics.ratioMax)
            st.ratioQ999Max = max(st.ratioQ999Max, res.metrics.ratioQ999)
            st.klBehaviour += res.metrics.klBehaviourK3
            st.entropy += res.metrics.entropy ?? 0
        }
        if st.optimizerSteps > 0 {
            let n = Double(st.optimizerSteps)
            st.meanLoss /= n; st.meanGradNorm /= n; st.klBehaviour /= n; st.entropy /= n
        }
        return st
    }

    /// Backward through the rows that carry a gradient. The backward pass is linear in
    /// `dLogProbs`, so a row whose entries are all zero (every sample of a zero-variance group
    /// under GRPO-style advantages, when no advantage-free term touches it) adds exactly nothing
    /// to any parameter gradient. When at most two thirds of the rows are live, they are run
    /// forward again on their own (each row's forward is independent of the other rows) and the
    /// backward covers only them: (1 + 3f)/3 of the full forward + backward for a live fraction
    /// f. A minibatch larger than one pass (`activationBudgetBytes`) always runs forward again,
    /// pass by pass. ALP draws its noise per batch position, so with ALP every row goes backward,
    /// in the same passes as the loss. Returns how many rows the backward pass covered.
    @discardableResult
    func backwardLiveRows(_ mb: TrainingBatch, _ d: [Float]) throws -> Int {
        let T = mb.length
        let live = (0..<mb.count).filter { r in d[(r * T)..<((r + 1) * T)].contains { $0 != 0 } }
        if live.isEmpty { return 0 }                    // gradients stay zero (zeroGradients)
        let onePass = rowsPerPass(length: T) >= mb.count
        if onePass && (model.alp.enabled || live.count * 3 > mb.count * 2) {
            try model.backward(dLogProbs: d)
            return mb.count
        }
        let rows = model.alp.enabled ? Array(0..<mb.count) : live
        let perturb: UInt64? = model.alp.enabled ? UInt64(optimizer.step) : nil
        let k = rowsPerPass(length: T)
        for start in stride(from: 0, to: rows.count, by: k) {
            let ids = Array(rows[start..<min(start + k, rows.count)])
            let sub = mb.rows(ids)
            _ = try model.forward(tokens: sub.tokens, batch: sub.count, length: T, perturbStep: perturb)
            var dSub = [Float]()
            dSub.reserveCapacity(ids.count * T)
            for r in ids { dSub += d[(r * T)..<((r + 1) * T)] }
            try model.backward(dLogProbs: dSub)
        }
        return rows.count
    }

    /// The objective's gradient for the whole batch at the current weights (no update): the
    /// MODEL.md gradient file's content. Leaves the gradients in `model.grads`.
    public func gradient(of batch: TrainingBatch, learnerVersion: Int) throws -> ObjectiveResult {
        model.zeroGradients()
        let res = try lossAndGradient(batch, learnerVersion: learnerVersion)
        if passes(batch).count == 1 { try model.backward(dLogProbs: res.dLogProbs) } else { try backwardLiveRows(batch, res.dLogProbs) }
        return res
    }
}
