// Causal multi-head self-attention on a fused qkv row (design/MODEL.md):
// per head h, softmax(q_h k_hᵀ / √hs + causal mask) · v_h.
// Legend: B batch, T time, C channels, H heads, hs = C/H head size.
// qkv is [B,T,3C] (q | k | v, each split into H heads of hs); att caches the
// softmax probabilities [B,H,T,T] (row t valid for t2 ≤ t) for backward.

import Foundation
import Tensor

/// out[B,T,C] = concat over heads of the attention-weighted values; att[B,H,T,T] = probabilities.
func attentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                      _ qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, H: Int) {
    let hs = C / H, C3 = 3 * C
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(B) { bs in  // sequences are independent
    for b in bs {
        for h in 0..<H {
            for t in 0..<T {
                let q = qkv + (b * T + t) * C3 + h * hs
                let a = att + ((b * H + h) * T + t) * T
                var maxv = -Float.infinity
                for t2 in 0...t {
                    let k = qkv + (b * T + t2) * C3 + C + h * hs
                    let s = Vec.dot(q, k, hs) * scale
                    a[t2] = s
                    if s > maxv { maxv = s }
                }
                var sum: Float = 0
                for t2 in 0...t { let e = exp(a[t2] - maxv); a[t2] = e; sum += e }
                let inv = 1 / sum
                let o = out + (b * T + t) * C + h * hs
                o.update(repeating: 0, count: hs)
                for t2 in 0...t {
                    a[t2] *= inv
                    Vec.axpy(a[t2], qkv + (b * T + t2) * C3 + 2 * C + h * hs, o, hs)
                }
            }
        }
    }
    }
}

/// dqkv[B,T,3C] (overwritten) from dout[B,T,C], using the cached probabilities.
/// With d_t2 = dout·v_t2 and s = Σ p·d: dpre_t2 = p_t2 (d_t2 − s); dq += dpre·k/√hs,
/// dk_t2 += dpre·q/√hs, dv_t2 += p_t2·dout.
func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                       _ qkv: UnsafePointer<Float>, _ att: UnsafePointer<Float>, B: Int, T: Int, C: Int, H: Int) {
    let hs = C / H, C3 = 3 * C
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(B) { bs in  // sequences are independent; each chunk owns its dqkv rows
    (dqkv + bs.lowerBound * T * C3).update(repeating: 0, count: bs.count * T * C3)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: T) { tmp in
    let scratch = tmp.baseAddress!
    for b in bs {
        for h in 0..<H {
            for t in 0..<T {
                let a = att + ((b * H + h) * T + t) * T
                let d = dout + (b * T + t) * C + h * hs
                var s: Float = 0
                for t2 in 0...t {
                    let row = (b * T + t2) * C3 + h * hs
                    let dv = Vec.dot(d, qkv + row + 2 * C, hs)
                    scratch[t2] = dv
                    s += a[t2] * dv
                    Vec.axpy(a[t2], d, dqkv + row + 2 * C, hs)
                }
                let q = qkv + (b * T + t) * C3 + h * hs
                let dq = dqkv + (b * T + t) * C3 + h * hs
                for t2 in 0...t {
                    let dpre = a[t2] * (scratch[t2] - s) * scale
                    let row = (b * T + t2) * C3 + C + h * hs
                    Vec.axpy(dpre, qkv + row, dq, hs)
                    Vec.axpy(dpre, q, dqkv + row, hs)
                }
            }
        }
    }
    }
    }
}
