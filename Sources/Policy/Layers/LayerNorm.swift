// LayerNorm over the channel dimension (design/MODEL.md, eps from the config).
// Forward caches mean and rstd per row; backward accumulates into dinp, dw, db.
// Legend: N rows (= B·T), C channels.

import Tensor

/// out[N,C] = (inp − mean)·rstd·w + b, with population variance; saves mean[N], rstd[N].
func layernormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                      _ rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                      _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, N: Int, C: Int, eps: Float) {
    for r in 0..<N {
        let x = inp + r * C
        let m = Vec.sum(x, C) / Float(C)
        var v: Float = 0
        for i in 0..<C { let d = x[i] - m; v += d * d }
        let s = 1 / (v / Float(C) + eps).squareRoot()
        let o = out + r * C
        for i in 0..<C { o[i] = (x[i] - m) * s * w[i] + b[i] }
        mean[r] = m
        rstd[r] = s
    }
}

/// Accumulates the LayerNorm gradients: with n = (x−mean)·rstd and g = w·dout,
/// dx += rstd·(g − mean(g) − n·mean(g·n)), dw += n·dout, db += dout.
func layernormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                       _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                       _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                       _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, N: Int, C: Int) {
    for r in 0..<N {
        let x = inp + r * C, d = dout + r * C, dx = dinp + r * C
        let m = mean[r], s = rstd[r]
        var gMean: Float = 0, gnMean: Float = 0
        for i in 0..<C {
            let n = (x[i] - m) * s
            let g = w[i] * d[i]
            gMean += g
            gnMean += g * n
        }
        gMean /= Float(C)
        gnMean /= Float(C)
        for i in 0..<C {
            let n = (x[i] - m) * s
            let g = w[i] * d[i]
            db[i] += d[i]
            dw[i] += n * d[i]
            dx[i] += s * (g - gMean - n * gnMean)
        }
    }
}
