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
            return (Int32(best), -log(expSum(z, V: V, max: z[best], threshold: -.infinity, into: nil)))
        }
        let invT = 1 / options.temperature
        var m = -Float.infinity
        for j in 0..<V { z[j] *= invT; if z[j] > m { m = z[j] } }
        var threshold = -Float.infinity
        if let k = options.topK, k < V { threshold = kthLargest(z, V: V, k: k) }
        var sum = expSum(z, V: V, max: m, threshold: threshold, into: probs)
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

    /// Σ_j e^(z_j − max) over the entries ≥ `threshold` (SIMD exp); with `into`, also stores each
    /// weight there (0 below the threshold).
    func expSum(_ z: UnsafePointer<Float>, V: Int, max m: Float, threshold: Float, into probs: UnsafeMutablePointer<Float>?) -> Float {
        let mv = SIMD8<Float>(repeating: m), tv = SIMD8<Float>(repeating: threshold)
        var acc = SIMD8<Float>(), j = 0
        while j + 8 <= V {
            let x = UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self)
            let e = Vec.exp(x - mv).replacing(with: 0, where: x .< tv)
            if let probs { UnsafeMutableRawPointer(probs + j).storeBytes(of: e, as: SIMD8<Float>.self) }
            acc += e
            j += 8
        }
        var sum = acc.sum()
        while j < V {
            let e: Float = z[j] >= threshold ? Vec.exp(z[j] - m) : 0
            probs?[j] = e
            sum += e
            j += 1
        }
        return sum
    }

    /// The k-th largest of z[0..<V] (a min-heap of the k largest seen: O(V log k)).
    func kthLargest(_ z: UnsafePointer<Float>, V: Int, k: Int) -> Float {
        var heap = Array(UnsafeBufferPointer(start: z, count: k))
        func siftDown(_ i0: Int) {
            var i = i0
            while true {
                let l = 2 * i + 1, r = l + 1
                var s = i
                if l < k && heap[l] < heap[s] { s = l }
                if r < k && heap[r] < heap[s] { s = r }
                if s == i { return }
                heap.swapAt(i, s); i = s
            }
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for j in k..<V where z[j] > heap[0] { heap[0] = z[j]; siftDown(0) }
        return heap[0]
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
