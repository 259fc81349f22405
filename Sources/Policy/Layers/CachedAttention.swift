// Causal self-attention of a batch of rows against a per-layer KV cache (design/MODEL.md
// "Sampling"): row r (sequence slot s_r, position p_r) attends to positions 0…p_r of its slot.
// Rows are independent (their keys/values are already in the cache), so they run in parallel.
// Legend: n rows, C channels, H heads, hs = C/H.

import Foundation
import Tensor

/// out[n,C] = attention of each row's q (from qkv[n,3C]) over `keys`/`values` ([slots, maxLen, C]
/// with `slotStride` = maxLen·C) at positions 0…positions[r] of slot slots[r].
func cachedAttentionForward(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                            keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            slots: UnsafePointer<Int>, positions: UnsafePointer<Int>,
                            slotStride: Int, maxLen: Int, n: Int, C: Int, H: Int) {
    let hs = C / H
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(n, grain: 32) { rows in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: maxLen) { tmp in
            let scratch = tmp.baseAddress!
            for r in rows {
                let kb = keys + slots[r] * slotStride, vb = values + slots[r] * slotStride, pos = positions[r]
                for h in 0..<H {
                    let q = qkv + r * 3 * C + h * hs
                    var maxv = -Float.infinity
                    for t2 in 0...pos {
                        let s = Vec.dot(q, kb + t2 * C + h * hs, hs) * scale
                        scratch[t2] = s
                        if s > maxv { maxv = s }
                    }
                    var sum: Float = 0
                    for t2 in 0...pos { let e = exp(scratch[t2] - maxv); scratch[t2] = e; sum += e }
                    let inv = 1 / sum
                    let o = out + r * C + h * hs
                    o.update(repeating: 0, count: hs)
                    for t2 in 0...pos { Vec.axpy(scratch[t2] * inv, vb + t2 * C + h * hs, o, hs) }
                }
            }
        }
    }
}
