// The clipped policy-gradient surrogate on per-token log-probabilities.
//
// Input is one minibatch laid out `[N, S]` (N sequences, S positions) with the current
// policy's log-probs, the behaviour log-probs recorded by the sampler, a loss mask and one
// advantage per sequence. Output is the loss, dLoss/dlogπ for every position (what the
// policy's backward pass takes), and the statistics of ALGORITHMS.md §6.
//
// Per token (§4.1, §4.2, §4.6), with r = exp(clamp(log π − log μ)):
//     ℓ = −min(r·Â, clip(r, 1−ε_low, 1+ε_high)·Â)          PPO / clip-higher
//     ℓ = min(ℓ, −c·Â)  for Â < 0 when dual-clip c is set   dual-clip floor
// and the minibatch loss is Σ w·ℓ with the aggregation weights w (§1.4).
// dℓ/dlog π = −Â·r where the unclipped term is the active one, else 0.

import Foundation

/// One minibatch's fixed inputs (everything except the current log-probs).
public struct TokenBatch: Sendable {
    /// Sequences N and padded positions S.
    public let count: Int
    public let length: Int
    /// log μ per position, `[N·S]`; 0 where the mask is 0.
    public var behaviourLogProbs: [Float]
    /// 1 where the position holds a completion token that counts in the loss.
    public var mask: [Float]
    /// One advantage per sequence, `[N]`.
    public var advantages: [Float]

    public init(count: Int, length: Int, behaviourLogProbs: [Float], mask: [Float], advantages: [Float]) {
        self.count = count; self.length = length
        self.behaviourLogProbs = behaviourLogProbs; self.mask = mask; self.advantages = advantages
    }

    /// Checks shapes and finiteness so a bad group is a clear error, not a NaN update.
    public func validate() throws {
        let n = count * length
        guard behaviourLogProbs.count == n, mask.count == n else {
            throw ObjectiveError.shapeMismatch("expected \(n) positions, got behaviour \(behaviourLogProbs.count), mask \(mask.count)")
        }
        guard advantages.count == count else {
            throw ObjectiveError.shapeMismatch("expected \(count) advantages, got \(advantages.count)")
        }
        if let i = behaviourLogProbs.firstIndex(where: { !$0.isFinite }) {
            throw ObjectiveError.nonFinite(what: "behaviour_logprobs", index: i, value: behaviourLogProbs[i])
        }
        if let i = advantages.firstIndex(where: { !$0.isFinite }) {
            throw ObjectiveError.nonFinite(what: "advantages", index: i, value: advantages[i])
        }
    }
}

/// Per-minibatch statistics of the ratio and the clipping (ALGORITHMS.md §6 panel).
public struct SurrogateStats: Codable, Sendable, Equatable {
    public var tokens: Int = 0
    public var ratioMean: Double = 0
    public var ratioMax: Double = 0
    public var ratioMin: Double = 0
    /// Var about the batch mean (V_c) and about one (V_1), §2.3.
    public var ratioVarCentral: Double = 0
    public var ratioVarOne: Double = 0
    /// Fraction of tokens whose gradient the clip removed, per side.
    public var clipFractionLow: Double = 0
    public var clipFractionHigh: Double = 0
    public var dualClipFraction: Double = 0
    /// k3 estimate of KL(π_θ ‖ μ) over the masked tokens (§1.5).
    public var klBehaviourK3: Double = 0
}

/// Loss value, gradient for the policy's backward pass, and statistics.
public struct SurrogateResult: Sendable {
    public var loss: Double
    /// dLoss/dlog π per position, `[N·S]`.
    public var dLogProbs: [Float]
    public var stats: SurrogateStats
}

/// Computes the clipped surrogate of `config` for `batch` at the current `logProbs` `[N·S]`.
public func surrogateLoss(_ config: ObjectiveConfig, batch: TokenBatch, logProbs: [Float]) throws -> SurrogateResult {
    try batch.validate()
    let n = batch.count * batch.length
    guard logProbs.count == n else {
        throw ObjectiveError.shapeMismatch("expected \(n) log-probs, got \(logProbs.count)")
    }
    let w = config.aggregation.weights(mask: batch.mask, count: batch.count, length: batch.length,
                                       lengthNorm: config.lengthNorm)
    var grad = [Float](repeating: 0, count: n)
    var loss = 0.0
    var s = SurrogateStats()
    var sumR = 0.0, sumR2 = 0.0, sumRm1 = 0.0, sumK3 = 0.0
    var clipLow = 0, clipHigh = 0, dual = 0
    s.ratioMin = .infinity; s.ratioMax = -.infinity
    let lo = 1 - config.clipLow, hi = 1 + config.clipHigh, c = config.dualClip
    for i in 0..<batch.count {
        let a = batch.advantages[i]
        for t in 0..<batch.length {
            let k = i * batch.length + t
            guard batch.mask[k] != 0 else { continue }
            let lp = logProbs[k]
            guard lp.isFinite else { throw ObjectiveError.nonFinite(what: "logprobs", index: k, value: lp) }
            let logR = min(max(lp - batch.behaviourLogProbs[k], -config.logRatioClamp), config.logRatioClamp)
            let r = exp(logR)
            let unclipped = r * a
            let clipped = min(max(r, lo), hi) * a
            var ell = -min(unclipped, clipped)
            // The unclipped term is active (gradient flows) unless clipping made the minimum smaller.
            let clipActive = clipped < unclipped
            var g: Float = clipActive ? 0 : -a * r
            if clipActive { if r < lo { clipLow += 1 } else { clipHigh += 1 } }
            if let c, a < 0, ell > -c * a {
                ell = -c * a; g = 0; dual += 1
            }
            loss += Double(w[k] * ell)
            grad[k] = w[k] * g
            let rd = Double(r)
            sumR += rd; sumR2 += rd * rd; sumRm1 += (rd - 1) * (rd - 1)
            sumK3 += Double(exp(-logR) + logR - 1)  // k3 with d = log μ − log π
            s.ratioMax = max(s.ratioMax, rd); s.ratioMin = min(s.ratioMin, rd)
            s.tokens += 1
        }
    }
    if s.tokens > 0 {
        let m = Double(s.tokens)
        s.ratioMean = sumR / m
        s.ratioVarCentral = max(0, sumR2 / m - s.ratioMean * s.ratioMean)
        s.ratioVarOne = sumRm1 / m
        s.clipFractionLow = Double(clipLow) / m
        s.clipFractionHigh = Double(clipHigh) / m
        s.dualClipFraction = Double(dual) / m
        s.klBehaviourK3 = sumK3 / m
    } else {
        s.ratioMin = 0; s.ratioMax = 0
    }
    return SurrogateResult(loss: loss, dLogProbs: grad, stats: s)
}
