// The output distribution: log-sum-exp per logits row (max subtracted, design/MODEL.md),
// per-position log-probs and entropies, and the gradient of Σ g_t·log p_t w.r.t. logits.
// Position t of a sequence is predicted by logits row t−1; position 0 has no prediction.
// Legend: B batch, T time, V vocab.

import Foundation
import Tensor

/// lse[r] = max_r + log Σ_j exp(logits[r,j] − max_r) for each of N rows.
func logSumExpForward(_ lse: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>, N: Int, V: Int) {
    for r in 0..<N {
        let x = logits + r * V
        var m = -Float.infinity
        for j in 0..<V where x[j] > m { m = x[j] }
        var s: Float = 0
        for j in 0..<V { s += exp(x[j] - m) }
        lse[r] = m + log(s)
    }
}

/// out[b,t] = logits[b,t−1,tokens[b,t]] − lse[b,t−1]; out[b,0] = 0.
func tokenLogProbs(_ out: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>,
                   _ lse: UnsafePointer<Float>, _ tokens: UnsafePointer<Int32>, B: Int, T: Int, V: Int) {
    for b in 0..<B {
        out[b * T] = 0
        for t in 1..<max(T, 1) {
            let r = b * T + t - 1
            out[b * T + t] = logits[r * V + Int(tokens[b * T + t])] - lse[r]
        }
    }
}

/// out[b,t] = entropy of the distribution predicting position t (H = lse − Σ p·x); out[b,0] = 0.
func positionEntropies(_ out: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>,
                       _ lse: UnsafePointer<Float>, B: Int, T: Int, V: Int) {
    for b in 0..<B {
        out[b * T] = 0
        for t in 1..<max(T, 1) {
            let r = b * T + t - 1
            let x = logits + r * V
            var px: Float = 0
            for j in 0..<V { px += exp(x[j] - lse[r]) * x[j] }
            out[b * T + t] = lse[r] - px
        }
    }
}

/// dlogits[b,t−1,:] = g[b,t]·(onehot(tokens[b,t]) − softmax(logits[b,t−1])) (overwritten);
/// rows t = T−1 are zero (they predict nothing).
func logProbsBackward(_ dlogits: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                      _ logits: UnsafePointer<Float>, _ lse: UnsafePointer<Float>,
                      _ tokens: UnsafePointer<Int32>, B: Int, T: Int, V: Int) {
    for b in 0..<B {
        for t in 0..<T {
            let r = b * T + t
            let d = dlogits + r * V
            let gt: Float = t + 1 < T ? g[r + 1] : 0
            if gt == 0 { d.update(repeating: 0, count: V); continue }
            let x = logits + r * V
            for j in 0..<V { d[j] = -gt * exp(x[j] - lse[r]) }
            d[Int(tokens[r + 1])] += gt
        }
    }
}
