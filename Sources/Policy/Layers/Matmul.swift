// Fully connected layers through OpenBLAS: out = inp · W + bias with W stored
// [in, out] row-major (the Hugging Face Conv1D layout of design/MODEL.md).
// Legend: N rows (= B·T), C input channels, OC output channels.

import Tensor

/// out[N,OC] = inp[N,C] · w[C,OC] + bias[OC] (bias optional).
func matmulForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, N: Int, C: Int, OC: Int) {
    var beta: Float = 0
    if let bias {
        for r in 0..<N { (out + r * OC).update(from: bias, count: OC) }
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
    if let dbias {
        for r in 0..<N { Vec.add(dout + r * OC, dbias, OC) }
    }
}
