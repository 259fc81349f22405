// Loss aggregation modes (ALGORITHMS.md §1.4): how per-token losses ℓ_{i,t} become one
// scalar. Each mode is expressed as a per-token weight w_{i,t} so that loss = Σ w·ℓ and
// the gradient of the loss with respect to ℓ_{i,t} is exactly w_{i,t}.

/// How per-token losses are combined into the minibatch loss.
package enum Aggregation: String, Codable, Sendable, CaseIterable {
    /// `Σ m ℓ / Σ m` (DAPO, verl and ALP default).
    case tokenMean = "token-mean"
    /// `(1/N) Σ_i (1/L_i) Σ_t m ℓ` (original GRPO).
    case seqMeanTokenMean = "seq-mean-token-mean"
    /// `(1/N) Σ_i Σ_t m ℓ` (REINFORCE-style sequence loss).
    case seqMeanTokenSum = "seq-mean-token-sum"
    /// `(1/N) Σ_i Σ_t m ℓ / L_norm` with a constant `L_norm` (Dr. GRPO).
    case seqMeanTokenSumNorm = "seq-mean-token-sum-norm"

    /// Per-token weights for a `[count, length]` mask; zero where the mask is zero.
    /// `lengthNorm` is the constant `L_norm` of `seqMeanTokenSumNorm` (defaults to `length`).
    package func weights(mask: [Float], count: Int, length: Int, lengthNorm: Int? = nil) -> [Float] {
        var w = [Float](repeating: 0, count: count * length)
        switch self {
        case .tokenMean:
            let total = mask.reduce(0, +)
            guard total > 0 else { return w }
            for k in 0..<w.count { w[k] = mask[k] / total }
        case .seqMeanTokenMean, .seqMeanTokenSum, .seqMeanTokenSumNorm:
            guard count > 0 else { return w }
            let n = Float(count)
            for i in 0..<count {
                let row = i * length
                var li: Float = 0
                for t in 0..<length { li += mask[row + t] }
                guard li > 0 else { continue }
                let scale: Float
                switch self {
                case .seqMeanTokenMean: scale = 1 / (n * li)
                case .seqMeanTokenSum: scale = 1 / n
                default: scale = 1 / (n * Float(lengthNorm ?? length))
                }
                for t in 0..<length { w[row + t] = mask[row + t] * scale }
            }
        }
        return w
    }
}
