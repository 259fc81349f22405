// The learner's update: one training batch → K epochs × M shuffled minibatches of the
// objective's loss through the policy's forward/backward, gradient-norm clipping and AdamW
// (ALGORITHMS.md §4.3 with the §1.4 aggregation). Deterministic from the shuffle seed, so
// `tributary replay` reproduces an update bit-for-bit from the checkpoint taken before it.

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
    /// signal, and AdamW's momentum would still move the weights (peers/README.md pitfall).
    public var skipZeroAdvantage: Bool
    public var objective: ObjectiveConfig

    public init(epochs: Int = 2, minibatches: Int = 2, optimizer: AdamWConfig, gradClip: Float = 1,
                skipZeroAdvantage: Bool = true, objective: ObjectiveConfig = ObjectiveConfig()) {
        self.epochs = epochs; self.minibatches = minibatches; self.optimizer = optimizer
        self.gradClip = gradClip; self.skipZeroAdvantage = skipZeroAdvantage; self.objective = objective
    }
}

/// What one update did, for logs and the status endpoint.
public struct UpdateStats: Codable, Sendable, Equatable {
    public var optimizerSteps = 0
    public var skippedMinibatches = 0
    public var meanLoss = 0.0
    public var meanGradNorm = 0.0
    public var maxGradNorm = 0.0
    public var ratioMax = 0.0
    public var clipFraction = 0.0
    public var klBehaviour = 0.0
    public var tokens = 0
    public init() {}
}

/// Owns the policy and its optimizer and applies updates. Not Sendable: confine to one task.
public final class PolicyTrainer {
    public let model: GPT
    public let optimizer: AdamW
    public var settings: UpdateSettings

    public init(model: GPT, optimizer: AdamW? = nil, settings: UpdateSettings) {
        self.model = model
        self.settings = settings
        if let optimizer {
            optimizer.config = settings.optimizer
            self.optimizer = optimizer
        } else {
            self.optimizer = AdamW(layout: model.layout, config: settings.optimizer)
        }
    }

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

    /// Applies the update for `batch`. Throws on non-finite inputs or a non-finite loss
    /// (the weights are left untouched in that case for the offending minibatch).
    @discardableResult
    public func update(_ batch: TrainingBatch, shuffleSeed: UInt64) throws -> UpdateStats {
        var st = UpdateStats()
        let plan = Self.schedule(count: batch.count, epochs: settings.epochs, minibatches: settings.minibatches,
                                 shuffleSeed: shuffleSeed)
        var clipped = 0.0, ratioMax = 0.0, kl = 0.0
        for rows in plan where !rows.isEmpty {
            let mb = batch.rows(rows)
            if settings.skipZeroAdvantage && mb.advantages.allSatisfy({ $0 == 0 }) {
                st.skippedMinibatches += 1
                continue
            }
            model.zeroGradients()
            let lp = try model.forward(tokens: mb.tokens, batch: mb.count, length: mb.length)
            let res = try surrogateLoss(settings.objective, batch: mb.tokenBatch, logProbs: lp)
            guard res.loss.isFinite else { throw ObjectiveError.invalidSetting("non-finite loss \(res.loss)") }
            try model.backward(dLogProbs: res.dLogProbs)
            let norm = settings.gradClip > 0 ? model.clipGradients(maxNorm: settings.gradClip) : model.gradientNorm()
            try optimizer.update(model)
            st.optimizerSteps += 1
            st.meanLoss += res.loss
            st.meanGradNorm += Double(norm)
            st.maxGradNorm = max(st.maxGradNorm, Double(norm))
            st.tokens += res.stats.tokens
            clipped += (res.stats.clipFractionLow + res.stats.clipFractionHigh) * Double(res.stats.tokens)
            kl += res.stats.klBehaviourK3 * Double(res.stats.tokens)
            ratioMax = max(ratioMax, res.stats.ratioMax)
        }
        if st.optimizerSteps > 0 {
            st.meanLoss /= Double(st.optimizerSteps)
            st.meanGradNorm /= Double(st.optimizerSteps)
        }
        if st.tokens > 0 { st.clipFraction = clipped / Double(st.tokens); st.klBehaviour = kl / Double(st.tokens) }
        st.ratioMax = ratioMax
        return st
    }
}
