// The SwiGLU MLP's element-wise part (Llama, hidden_act silu): down(silu(gate·x) ⊙ up·x).
// gu rows hold gate | up ([N, 2F], one GEMM against the adjacent gate/up weights);
// h = silu(g)·u with silu(g) = g·σ(g).  Backward: silu'(g) = σ(g)·(1 + g·(1 − σ(g))),
// dg = dh·u·silu'(g), du = dh·silu(g).
// Legend: N rows, F MLP width.

import Tensor

@inline(__always) private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func st(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// h[N,F] = silu(gu[:, :F]) ⊙ gu[:, F:].
func swigluForward(_ h: UnsafeMutablePointer<Float>, _ gu: UnsafePointer<Float>, N: Int, F: Int) {
    Parallel.forChunks(N, grain: 16) { rows in
        for r in rows {
            let g = gu + r * 2 * F, u = g + F, o = h + r * F
            var i = 0
            while i + 8 <= F { let x = ld(g + i); st(x * Vec.sigmoid(x) * ld(u + i), o + i); i += 8 }
            while i < F { let x = g[i]; o[i] = x * (1 / (1 + Vec.exp(-x))) * u[i]; i += 1 }
        }
    }
}

/// dgu[N,2F] (overwritten) from dh[N,F].
func swigluBackward(_ dgu: UnsafeMutablePointer<Float>, _ dh: UnsafePointer<Float>, _ gu: UnsafePointer<Float>,
                    N: Int, F: Int) {
    Parallel.forChunks(N, grain: 16) { rows in
        for r in rows {
            let g = gu + r * 2 * F, u = g + F, d = dh + r * F, dg = dgu + r * 2 * F, du = dg + F
            var i = 0
            while i + 8 <= F {
                let x = ld(g + i), s = Vec.sigmoid(x), dv = ld(d + i)
                st(dv * ld(u + i) * s * (1 + x * (1 - s)), dg + i)
                st(dv * x * s, du + i)
                i += 8
            }
            while i < F {
                let x = g[i], s = 1 / (1 + Vec.exp(-x))
                dg[i] = d[i] * u[i] * s * (1 + x * (1 - s))
                du[i] = d[i] * x * s
                i += 1
            }
        }
    }
}
