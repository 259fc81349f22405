// Choosing the next token from one logits row (Sampler): arg-max, or a draw from softmax(z/τ)
// truncated by top-k and then top-p (transformers' warper order), renormalised. The returned
// log-prob is under the distribution actually used.
// Legend: V vocab.

import Foundation
import Tensor

extension Sampler {
    /// Chooses the next token from one logits row `z` (scratch: modified) and returns it with its
    /// log-prob under the distribution used: softmax(z/τ) restricted to the top-k and the top-p
    /// nucleus (renormalised), or the arg-max with its log-prob at τ = 1 when greedy.
    func pick(_ z: UnsafeMutablePointer<Float>, V: Int, options: SamplingOptions,
              probs: UnsafeMutablePointer<Float>, rng: inout Xoshiro256) -> (Int32, Float) {
        if options.greedy {
            var best = 0
            for j in 1..<V where z[j] > z[best] { best = j }
            var s: Float = 0
            for j in 0..<V { s += exp(z[j] - z[best]) }
            return (Int32(best), -log(s))
        }
        let invT = 1 / options.temperature
        var m = -Float.infinity
        for j in 0..<V { z[j] *= invT; if z[j] > m { m = z[j] } }
        var threshold = -Float.infinity
        if let k = options.topK, k < V {
            let sorted = (0..<V).map { z[$0] }.sorted(by: >)
            threshold = sorted[k - 1]
        }
        var sum: Float = 0
        for j in 0..<V {
            let e: Float = z[j] >= threshold ? exp(z[j] - m) : 0
            probs[j] = e
            sum += e
        }
        if let p = options.topP, p < 1 { sum = nucleus(probs, V: V, sum: sum, p: p) }
        let u = rng.nextUniform() * sum
        var acc: Float = 0, chosen = -1, lastKept = 0
        for j in 0..<V where probs[j] > 0 {
            lastKept = j
            acc += probs[j]
            if u < acc { chosen = j; break }
        }
        if chosen < 0 { chosen = lastKept }
        return (Int32(chosen), z[chosen] - m - log(sum))
    }

    /// Zeroes the weights outside the top-p nucleus of `probs` (unnormalised, total `sum`) and returns
    /// the kept total. Kept: tokens whose higher-ranked mass is < p (the most likely one always).
    /// Only tokens with probability ≥ (1 − p)/V need sorting: the others together hold < 1 − p.
    func nucleus(_ probs: UnsafeMutablePointer<Float>, V: Int, sum: Float, p: Float) -> Float {
        let floor = (1 - p) / Float(V) * sum
        var cand = (0..<V).filter { probs[$0] > 0 && probs[$0] >= floor }
        if cand.isEmpty { cand = (0..<V).filter { probs[$0] > 0 } }
        cand.sort { probs[$0] != probs[$1] ? probs[$0] > probs[$1] : $0 < $1 }
        var keep = Set<Int>(), above: Float = 0
        for j in cand {
            if !keep.isEmpty && above >= p * sum { break }
            keep.insert(j)
            above += probs[j]
        }
        var kept: Float = 0
        for j in 0..<V { if keep.contains(j) { kept += probs[j] } else { probs[j] = 0 } }
        return kept
    }
}
