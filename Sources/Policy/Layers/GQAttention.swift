// Causal grouped-query attention (Llama): H query heads share KV key/value heads, query head h
// reading kv head h / (H/KV). Rows hold q | k | v (post-RoPE) of width D = C + 2·KV·hs.
// Per head: p = softmax(q·kᵀ/√hs + causal mask), out = p·v. Forward keeps only the log-sum-exp
// per (b, h, t) (not the [T, T] probabilities); backward recomputes p = e^(s − lse).
// Legend: B batch, T time, C = H·hs channels, H query heads, KV key/value heads, hs head size.

import Foundation
import Tensor

/// out[B,T,C] = per head Σ_t2≤t p_t2·v_t2; lse[B,H,T] = log Σ_t2≤t e^(q·k_t2/√hs).
func gqaForward(_ out: UnsafeMutablePointer<Float>, _ lse: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                B: Int, T: Int, H: Int, KV: Int, hs: Int) {
    let C = H * hs, D = C + 2 * KV * hs, group = H / KV
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(B * H) { jobs in  // (sequence, head) pairs are independent
        withUnsafeTemporaryAllocation(of: Float.self, capacity: T) { tmp in
            let a = tmp.baseAddress!
            for job in jobs {
                let b = job / H, h = job % H, kvh = h / group
                let kOff = C + kvh * hs, vOff = C + KV * hs + kvh * hs
                for t in 0..<T {
                    let q = qkv + (b * T + t) * D + h * hs
                    var m = -Float.infinity
                    for t2 in 0...t {
                        let s = Vec.dot(q, qkv + (b * T + t2) * D + kOff, hs) * scale
                        a[t2] = s
                        if s > m { m = s }
                    }
                    var sum: Float = 0
                    for t2 in 0...t { let e = exp(a[t2] - m); a[t2] = e; sum += e }
                    let inv = 1 / sum, o = out + (b * T + t) * C + h * hs
                    o.update(repeating: 0, count: hs)
                    for t2 in 0...t { Vec.axpy(a[t2] * inv, qkv + (b * T + t2) * D + vOff, o, hs) }
                    lse[(b * H + h) * T + t] = m + log(sum)
                }
            }
        }
    }
}

/// dqkv[B,T,D] (overwritten) from dout[B,T,C]. With p recomputed, d_t2 = dout·v_t2, s = Σ p·d:
/// dpre_t2 = p_t2 (d_t2 − s); dq += dpre·k_t2/√hs; dk_t2 += dpre·q/√hs; dv_t2 += p_t2·dout.
/// Keys and values of a kv head receive the sum over the query heads of its group.
func gqaBackward(_ dqkv: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>,
                 _ lse: UnsafePointer<Float>, B: Int, T: Int, H: Int, KV: Int, hs: Int) {
    let C = H * hs, D = C + 2 * KV * hs, group = H / KV
    let scale = 1 / Float(hs).squareRoot()
    Parallel.forChunks(B) { bs in  // sequences are independent; each chunk owns its dqkv rows
        (dqkv + bs.lowerBound * T * D).update(repeating: 0, count: bs.count * T * D)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * T) { tmp in
            let p = tmp.baseAddress!, dp = p + T
            for b in bs {
                for h in 0..<H {
                    let kvh = h / group, kOff = C + kvh * hs, vOff = C + KV * hs + kvh * hs
                    for t in 0..<T {
                        let row = (b * T + t) * D
                        let q = qkv + row + h * hs, d = dout + (b * T + t) * C + h * hs
                        let l = lse[(b * H + h) * T + t]
                        var s: Float = 0
                        for t2 in 0...t {
                            let r2 = (b * T + t2) * D
                            let pt = exp(Vec.dot(q, qkv + r2 + kOff, hs) * scale - l)
                            p[t2] = pt
                            let dv = Vec.dot(d, qkv + r2 + vOff, hs)
                            dp[t2] = dv
                            s += pt * dv
                            Vec.axpy(pt, d, dqkv + r2 + vOff, hs)
                        }
                        let dq = dqkv + row + h * hs
                        for t2 in 0...t {
                            let r2 = (b * T + t2) * D
                            let dpre = p[t2] * (dp[t2] - s) * scale
                            Vec.axpy(dpre, qkv + r2 + kOff, dq, hs)
                            Vec.axpy(dpre, q, dqkv + r2 + kOff, hs)
                        }
                    }
                }
            }
        }
    }
}
