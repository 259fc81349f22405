// The output distribution of one logits row (design/MODEL.md): log-sum-exp with the max
// subtracted, the entropy, and the gradient of g·log p[token] + e·H w.r.t. the row. The LM head
// (GPT+Head.swift) applies these to chunks of rows so no [B·T, V] tensor exists.
// Position t of a sequence is predicted by logits row t−1; position 0 has no prediction.
// Legend: V vocab.

import Foundation
import Tensor

@inline(__always) private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func st(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// For one row x[V]: lse = m + log s with m = max x, s = Σ e^(x−m); entropy
/// H = lse − Σ p·x = log s − Σ e^(x−m)(x−m) / s; argmax = the first index holding m.
func logitsRowStats(_ x: UnsafePointer<Float>, V: Int) -> (lse: Float, entropy: Float, argmax: Int) {
    var m = -Float.infinity
    var vm = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    while j + 8 <= V { vm = pointwiseMax(vm, ld(x + j)); j += 8 }
    m = vm.max()
    while j < V { m = max(m, x[j]); j += 1 }
    let mv = SIMD8<Float>(repeating: m)
    var sv = SIMD8<Float>(), sxv = SIMD8<Float>()
    j = 0
    while j + 8 <= V {
        let d = ld(x + j) - mv, e = Vec.exp(d)
        sv += e; sxv += e * d
        j += 8
    }
    var s = sv.sum(), sx = sxv.sum()
    while j < V { let d = x[j] - m, e = Vec.exp(d); s += e; sx += e * d; j += 1 }
    let ls = log(s)
    var best = 0
    while best < V - 1 && x[best] != m { best += 1 }
    return (m + ls, ls - sx / s, best)
}

/// The Gauss–Newton curvature of log p[token] for one row: c = dᵀ(diag p − p pᵀ)d with d = e_y − p,
/// = p_y(1 − p_y)² + Σ_{v≠y} p_v³ − (p_y − Σ p_v²)², accumulated in Double.
func logitsRowCurvature(_ x: UnsafePointer<Float>, lse: Float, token: Int, V: Int) -> Float {
    var s2 = 0.0, s3 = 0.0
    for j in 0..<V { let p = Double(Vec.exp(x[j] - lse)); s2 += p * p; s3 += p * p * p }
    let py = Double(Vec.exp(x[token] - lse))
    let c = py * (1 - py) * (1 - py) + (s3 - py * py * py) - (py - s2) * (py - s2)
    return Float(max(0, c))
}

/// In place: x[V] (a logits row) becomes g·(onehot(token) − softmax(x)), using softmax = e^(x − lse);
/// with an entropy coefficient e ≠ 0 (dLoss/dH of the row, H its entropy) it also adds
/// e·dH/dx = −e·p ∘ (log p + H), so the row becomes g·onehot − p ∘ (g + e·(x − lse + H)).
func logitsRowBackward(_ x: UnsafeMutablePointer<Float>, lse: Float, g: Float, token: Int, V: Int,
                       entropyCoef e: Float = 0, entropy h: Float = 0) {
    if e != 0 {
        let lv = SIMD8<Float>(repeating: lse), gv = SIMD8<Float>(repeating: g), ev = SIMD8<Float>(repeating: e)
        let hv = SIMD8<Float>(repeating: h)
        var j = 0
        while j + 8 <= V {
            let lp = ld(x + j) - lv
            st(-Vec.exp(lp) * (gv + ev * (lp + hv)), x + j)
            j += 8
        }
        while j < V { let lp = x[j] - lse; x[j] = -Vec.exp(lp) * (g + e * (lp + h)); j += 1 }
        x[token] += g
        return
    }
    let lv = SIMD8<Float>(repeating: lse), gv = SIMD8<Float>(repeating: -g)
    var j = 0
    while j + 8 <= V { st(gv * Vec.exp(ld(x + j) - lv), x + j); j += 8 }
    while j < V { x[j] = -g * Vec.exp(x[j] - lse); j += 1 }
    x[token] += g
}
