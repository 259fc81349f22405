// BLAS entry points used by the model: row-major single-precision GEMM through
// OpenBLAS's CBLAS interface, plus control of OpenBLAS's thread pool.
// Everything else in the model is plain Swift loops; only GEMMs go through here.

import COpenBLAS

/// Thin, typed wrappers over OpenBLAS. All matrices are row-major.
public enum Blas {
    /// Sets the number of threads OpenBLAS uses for every subsequent call (process-wide).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// `C[M,N] = alpha · op(A) · op(B) + beta · C`, row-major, where `op(A)` is
    /// `[M,K]` (A stored `[K,M]` when `transA`) and `op(B)` is `[K,N]` (B stored
    /// `[N,K]` when `transB`). Leading dimensions are the stored row lengths.
    @inline(__always)
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}
