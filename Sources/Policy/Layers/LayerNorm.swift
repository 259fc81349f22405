// LayerNorm over the channel dimension (design/MODEL.md, eps from the config).
// Forward caches mean and rstd per row; backward accumulates into dinp, dw, db.
// Legend: N rows (= B·T), C channels.

import Tensor

@inline(__always) private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func st(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// out[N,C] = (inp − mean)·rstd·w + b, with population variance; saves mean[N], rstd[N].
func layernormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                      _ rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                      _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, N: Int, C: Int, eps: Float) {
    Parallel.forChunks(N, grain: 64) { rows in
    for r in rows {
        let x = inp + r * C
        let m = Vec.sum(x, C) / Float(C)
        let o = out + r * C
        if C % 8 == 0 {  // SIMD8 path (every preset)
            let vm = SIMD8<Float>(repeating: m)
            var acc = SIMD8<Float>()
            for i in stride(from: 0, to: C, by: 8) { let d = ld(x + i) - vm; acc += d * d }
            let vs = SIMD8<Float>(repeating: 1 / (acc.sum() / Float(C) + eps).squareRoot())
            for i in stride(from: 0, to: C, by: 8) { st((ld(x + i) - vm) * vs * ld(w + i) + ld(b + i), o + i) }
            mean[r] = m
            rstd[r] = vs[0]
            continue
        }
        var v: Float = 0
        for i in 0..<C { let d = x[i] - m; v += d * d }
        let s = 1 / (v / Float(C) + eps).squareRoot()
        for i in 0..<C { o[i] = (x[i] - m) * s * w[i] + b[i] }
        mean[r] = m
        rstd[r] = s
    }
    }
}

/// Accumulates the LayerNorm gradients: with n = (x−mean)·rstd and g = w·dout,
/// dx += rstd·(g − mean(g) − n·mean(g·n)), dw += n·dout, db += dout.
func layernormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                       _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                       _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                       _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, N: Int, C: Int) {
    // Rows in parallel; the first chunk accumulates dw/db in place, others into a private
    // [2C] buffer added afterwards (chunk-ordered, so results do not depend on timing).
    let parts = min(Blas.threads, max(N / 256, 1))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(parts - 1, 1) * 2 * C) { tmp in
        let partial = tmp.baseAddress!
        partial.update(repeating: 0, count: max(parts - 1, 1) * 2 * C)
        Parallel.forChunks(parts) { ps in
            for part in ps {
                let lo = part * N / parts, hi = (part + 1) * N / parts
                let pw = part == 0 ? dw : partial + (part - 1) * 2 * C
                let pb = part == 0 ? db : pw + C
                layernormBackwardRows(dinp, pw, pb, dout, inp, w, mean, rstd, rows: lo..<hi, C: C)
            }
        }
        for part in 1..<max(parts, 1) {
            Vec.add(partial + (part - 1) * 2 * C, dw, C)
            Vec.add(partial + (part - 1) * 2 * C + C, db, C)
        }
    }
}

private func layernormBackwardRows(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                                   _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                                   _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                   _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, rows: Range<Int>, C: Int) {
    for r in rows {
        let x = inp + r * C, d = dout + r * C, dx = dinp + r * C
        let m = mean[r], s = rstd[r]
        if C % 8 == 0 {  // SIMD8 path (every preset)
            let vm = SIMD8<Float>(repeating: m), vs = SIMD8<Float>(repeating: s)
            var ag = SIMD8<Float>(), agn = SIMD8<Float>()
            for i in stride(from: 0, to: C, by: 8) {
                let n = (ld(x + i) - vm) * vs, g = ld(w + i) * ld(d + i)
                ag += g; agn += g * n
            }
            let gm = SIMD8<Float>(repeating: ag.sum() / Float(C)), gnm = SIMD8<Float>(repeating: agn.sum() / Float(C))
            for i in stride(from: 0, to: C, by: 8) {
                let dv = ld(d + i), n = (ld(x + i) - vm) * vs, g = ld(w + i) * dv
                st(ld(db + i) + dv, db + i)
                st(ld(dw + i) + n * dv, dw + i)
                st(ld(dx + i) + vs * (g - gm - n * gnm), dx + i)
            }
            continue
        }
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
