// RMSNorm (Llama's LlamaRMSNorm: weight only, no mean subtraction, eps from rms_norm_eps).
// y = w ⊙ x·r with r = 1/√(mean(x²) + eps). Forward saves r per row; backward recomputes x·r.
// Legend: N rows (= B·T), C channels.

import Tensor

/// out[N,C] = w ⊙ inp·r; saves rstd[N] = r.
func rmsnormForward(_ out: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>?,
                    _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>, N: Int, C: Int, eps: Float) {
    Parallel.forChunks(N, grain: 64) { rows in
        for r in rows {
            let x = inp + r * C, o = out + r * C
            let s = 1 / (Vec.dot(x, x, C) / Float(C) + eps).squareRoot()
            for i in 0..<C { o[i] = w[i] * (x[i] * s) }
            rstd?[r] = s
        }
    }
}

/// Accumulates the RMSNorm gradients. With g = w ⊙ dout:
/// dx += r·g − r³·x·(Σ g⊙x)/C, dw += dout ⊙ x·r.
/// dw is accumulated per row chunk into private sums added in chunk order (deterministic).
func rmsnormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                     _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                     _ rstd: UnsafePointer<Float>, N: Int, C: Int) {
    accumulateRowChunks(into: dw, N: N, C: C) { rows, pw in
        for r in rows {
            let x = inp + r * C, d = dout + r * C, dx = dinp + r * C, s = rstd[r]
            var gx: Float = 0
            for i in 0..<C { gx += w[i] * d[i] * x[i] }
            let k = s * s * s * gx / Float(C)
            for i in 0..<C {
                dx[i] += s * w[i] * d[i] - k * x[i]
                pw[i] += d[i] * x[i] * s
            }
        }
    }
}
