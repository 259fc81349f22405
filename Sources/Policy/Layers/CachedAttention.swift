// One decoding step of causal self-attention against a per-layer KV cache (design/MODEL.md
// "Sampling"): each active row attends to positions 0…pos of its own sequence's cache.
// Legend: n active rows, C channels, H heads, hs = C/H, L cache length per sequence.

import Foundation
import Tensor

/// out[n,C] = attention of q (taken from qkv[n,3C]) over cached keys/values at positions 0…pos.
/// `kBase(r)`/`vBase(r)` give row r's cache base ([L, C], position-major); `scratch` holds ≥ pos+1 floats.
func cachedAttentionForward(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                            kBase: (Int) -> UnsafePointer<Float>, vBase: (Int) -> UnsafePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>, n: Int, pos: Int, C: Int, H: Int) {
    let hs = C / H
    let scale = 1 / Float(hs).squareRoot()
    for r in 0..<n {
        let kb = kBase(r), vb = vBase(r)
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
