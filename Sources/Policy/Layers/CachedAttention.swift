// Causal self-attention of a batch of rows against a per-layer KV cache (design/MODEL.md
// "Sampling"): row r attends to positions 0…p_r; positions below `shared[r]` are read from slot
// `prefixSlots[r]` (a prompt shared by a group of samples, cached once), later ones from its own
// slot `slots[r]`. Rows are independent (their keys/values are already cached) and run in parallel.
// Loops run position-outer so each cached row is streamed once for all heads. Grouped-query
// attention (Llama): the cache holds KV heads per position (row width kvDim = KV·hs) and query
// head h reads kv head h / (H/KV); for GPT-2, KV = H.
// Legend: n rows, C = H·hs channels, H query heads, KV kv heads, hs head size.

import Foundation
import Tensor

@inline(__always) private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func st(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Where each row's cached keys/values live: `[slots, maxLen, kvDim]` arrays with `slotStride` = maxLen·kvDim.
struct CacheRows {
    var slots: UnsafePointer<Int>
    var prefixSlots: UnsafePointer<Int>
    var shared: UnsafePointer<Int>
    var positions: UnsafePointer<Int>
    var slotStride: Int
    var maxLen: Int
}

/// out[n,C] = attention of each row's q (at qkv + r·qStride) over its cached keys/values.
func cachedAttentionForward(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>, qStride: Int,
                            keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows cr: CacheRows,
                            n: Int, H: Int, KV: Int, hs: Int) {
    let C = H * hs, kvDim = KV * hs, group = H / KV
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(n, grain: 32) { rows in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: H * cr.maxLen + 2 * H) { tmp in
            let sc = tmp.baseAddress!, maxv = sc + H * cr.maxLen, inv = maxv + H  // sc[h, t2]
            for r in rows {
                let pos = cr.positions[r], shared = cr.shared[r]
                let own = cr.slots[r] * cr.slotStride, pre = cr.prefixSlots[r] * cr.slotStride
                let q = qkv + r * qStride
                if hs == 32 {  // register-blocked path (small and base presets): q and o stay in registers
                    for h in 0..<H {
                        let off = h * 32, kOff = (h / group) * 32
                        let q0 = ld(q + off), q1 = ld(q + off + 8), q2 = ld(q + off + 16), q3 = ld(q + off + 24)
                        var m = -Float.infinity
                        for t2 in 0...pos {
                            let k = keys + (t2 < shared ? pre : own) + t2 * kvDim + kOff
                            let s = (q0 * ld(k) + q1 * ld(k + 8) + q2 * ld(k + 16) + q3 * ld(k + 24)).sum() * scale
                            sc[t2] = s
                            if s > m { m = s }
                        }
                        var sum: Float = 0
                        for t2 in 0...pos { let e = exp(sc[t2] - m); sc[t2] = e; sum += e }
                        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                        for t2 in 0...pos {
                            let v = values + (t2 < shared ? pre : own) + t2 * kvDim + kOff
                            let w = SIMD8<Float>(repeating: sc[t2])
                            a0 += w * ld(v); a1 += w * ld(v + 8); a2 += w * ld(v + 16); a3 += w * ld(v + 24)
                        }
                        let inv = SIMD8<Float>(repeating: 1 / sum), o = out + r * C + off
                        st(a0 * inv, o); st(a1 * inv, o + 8); st(a2 * inv, o + 16); st(a3 * inv, o + 24)
                    }
                    continue
                }
                for h in 0..<H { maxv[h] = -Float.infinity }
                for t2 in 0...pos {
                    let k = keys + (t2 < shared ? pre : own) + t2 * kvDim
                    for h in 0..<H {
                        let s = Vec.dot(q + h * hs, k + (h / group) * hs, hs) * scale
                        sc[h * cr.maxLen + t2] = s
                        if s > maxv[h] { maxv[h] = s }
                    }
                }
                for h in 0..<H {
                    let row = sc + h * cr.maxLen
                    var sum: Float = 0
                    for t2 in 0...pos { let e = exp(row[t2] - maxv[h]); row[t2] = e; sum += e }
                    inv[h] = 1 / sum
                }
                let o = out + r * C
                o.update(repeating: 0, count: C)
                for t2 in 0...pos {
                    let v = values + (t2 < shared ? pre : own) + t2 * kvDim
                    for h in 0..<H { Vec.axpy(sc[h * cr.maxLen + t2] * inv[h], v + (h / group) * hs, o + h * hs, hs) }
                }
            }
        }
    }
}
