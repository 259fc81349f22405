// Fully connected layers through OpenBLAS: out = inp · W + bias with W stored
// [in, out] row-major (the Hugging Face Conv1D layout of design/MODEL.md); linear* take the
// Hugging Face Linear layout [out, in] (Llama) through a transposed-B GEMM.
// Legend: N rows (= B·T), C input channels, OC output channels.

import Tensor

/// out[N,OC] = inp[N,C] · w[C,OC] + bias[OC] (bias optional).
func matmulForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, N: Int, C: Int, OC: Int) {
    var beta: Float = 0
    if let bias {
        Parallel.forChunks(N, grain: 256) { rows in for r in rows { (out + r * OC).update(from: bias, count: OC) } }
        beta = 1
    }
    Blas.sgemm(transA: false, transB: false, m: N, n: OC, k: C, a: inp, lda: C, b: w, ldb: OC,
               beta: beta, c: out, ldc: OC)
}

/// dinp[N,C] = dout · wᵀ (overwritten, or accumulated when `accumulateInput`),
/// dw[C,OC] += inpᵀ · dout, dbias[OC] += Σ_rows dout.
func matmulBackward(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                    _ dbias: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>,
                    _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>, N: Int, C: Int, OC: Int,
                    accumulateInput: Bool = false) {
    Blas.sgemm(transA: false, transB: true, m: N, n: C, k: OC, a: dout, lda: OC, b: w, ldb: OC,
               beta: accumulateInput ? 1 : 0, c: dinp, ldc: C)
    Blas.sgemm(transA: true, transB: false, m: C, n: OC, k: N, a: inp, lda: C, b: dout, ldb: OC,
               beta: 1, c: dw, ldc: OC)
    if let dbias { sumRows(dbias, dout, N: N, C: OC) }
}

/// out[N,C] = inp[N,C] + bias[C] (row-parallel; `out` may not alias `inp`).
func addBiasRows(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                 N: Int, C: Int) {
    Parallel.forChunks(N, grain: 256) { rows in
        for r in rows {
            (out + r * C).update(from: inp + r * C, count: C)
            Vec.add(bias, out + r * C, C)
        }
    }
}

/// acc[C] += Σ_rows x[N,C] (see `accumulateRowChunks`).
func sumRows(_ acc: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, N: Int, C: Int) {
    accumulateRowChunks(into: acc, N: N, C: C) { rows, dst in
        for r in rows { Vec.add(x + r * C, dst, C) }
    }
}

/// A per-row contribution summed into acc[C] with rows split between threads, deterministically:
/// `body(rows, dst)` adds the contribution of `rows` into `dst` — `acc` itself for the first chunk,
/// a private zeroed partial for the others — and the partials are added into `acc` in chunk order
/// afterwards, so the result does not depend on timing.
func accumulateRowChunks(into acc: UnsafeMutablePointer<Float>, N: Int, C: Int,
                         _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    let parts = min(Blas.threads, max(N / 256, 1))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(parts - 1, 1) * C) { tmp in
        let partial = tmp.baseAddress!
        partial.update(repeating: 0, count: max(parts - 1, 1) * C)
        Parallel.forChunks(parts) { ps in
            for part in ps {
                body((part * N / parts)..<((part + 1) * N / parts), part == 0 ? acc : partial + (part - 1) * C)
            }
        }
        for part in 1..<max(parts, 1) { Vec.add(partial + (part - 1) * C, acc, C) }
    }
}

/// Hugging Face Linear (weights stored [out, in]): out[N,OC] = inp[N,C] · wᵀ + bias, or
/// accumulated onto out when `accumulate` (residual adds).
func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, N: Int, C: Int, OC: Int, accumulate: Bool = false) {
    var beta: Float = accumulate ? 1 : 0
    if let bias {
        Parallel.forChunks(N, grain: 256) { rows in
            for r in rows { if accumulate { Vec.add(bias, out + r * OC, OC) } else { (out + r * OC).update(from: bias, count: OC) } }
        }
        beta = 1
    }
    Blas.sgemm(transA: false, transB: true, m: N, n: OC, k: C, a: inp, lda: C, b: w, ldb: C,
               beta: beta, c: out, ldc: OC)
}

/// Linear backward: dw[OC,C] += doutᵀ · inp, dbias[OC] += Σ_rows dout, then dinp[N,C] = dout · w
/// (overwritten, or accumulated). `dinp` may alias `inp` (it is written last).
func linearBackward(_ dinp: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                    _ dbias: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>,
                    _ w: UnsafePointer<Float>, N: Int, C: Int, OC: Int, accumulateInput: Bool = false) {
    Blas.sgemm(transA: true, transB: false, m: OC, n: C, k: N, a: dout, lda: OC, b: inp, ldb: C,
               beta: 1, c: dw, ldc: C)
    if let dbias { sumRows(dbias, dout, N: N, C: OC) }
    Blas.sgemm(transA: false, transB: false, m: N, n: C, k: OC, a: dout, lda: OC, b: w, ldb: C,
               beta: accumulateInput ? 1 : 0, c: dinp, ldc: C)
}
