// BLAS entry points used by the model: row-major single-precision GEMM through
// OpenBLAS's CBLAS interface, plus control of OpenBLAS's thread pool.
// Everything else in the model is plain Swift loops; only GEMMs go through here.

import COpenBLAS

/// Thin, typed wrappers over OpenBLAS. All matrices are row-major.
///
/// Thread policy: `setThreads(n)` sets the process-wide maximum. Each `sgemm` then runs on one
/// thread when it is small (2·m·n·k below `multiThreadFlops`, where waking OpenBLAS's pool costs
/// more than it saves — measured on the 2-core target) and on the maximum otherwise. `Parallel`
/// uses the same maximum for the non-GEMM loops.
public enum Blas {
    // Process-wide settings mirroring OpenBLAS's own global thread count; written only by
    // `setThreads` (configuration time) and the GEMM wrapper, read on the model's thread.
    nonisolated(unsafe) private static var maximum = max(1, Int(openblas_get_num_threads()))
    nonisolated(unsafe) private static var current = max(1, Int(openblas_get_num_threads()))
    /// GEMMs with fewer floating-point operations than this run single-threaded.
    nonisolated(unsafe) public static var multiThreadFlops = 8_000_000

    /// Sets the maximum number of threads for GEMMs and `Parallel` (process-wide).
    public static func setThreads(_ n: Int) {
        maximum = max(1, n)
        current = maximum
        openblas_set_num_threads(Int32(maximum))
    }

    /// The configured maximum number of threads (`setThreads`).
    public static var threads: Int { maximum }

    @inline(__always)
    static func useThreads(_ n: Int) {
        if n != current { current = n; openblas_set_num_threads(Int32(n)) }
    }

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
        useThreads(2 * m * n * k < multiThreadFlops ? 1 : maximum)
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// Weight-gradient GEMM `C[M,N] = Aᵀ·B + beta·C` (A stored `[K,M]`, long K = rows of the batch),
    /// computed as independent row blocks of C, one single-threaded OpenBLAS call per thread.
    /// On the 2-core target OpenBLAS's own threading reaches ~100–170 GFLOP/s on these shapes
    /// (e.g. 128×128×3072) against ~180–190 for the split (measured with PolicyBench's harness).
    public static func sgemmTransASplit(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                        b: UnsafePointer<Float>, ldb: Int, beta: Float,
                                        c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if maximum == 1 || 2 * m * n * k < 2 * multiThreadFlops || m < 32 {
            sgemm(transA: true, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        useThreads(1)
        Parallel.forChunks(m / 8, grain: 2) { blocks in  // row blocks of multiples of 8 (the last takes the rest)
            let lo = blocks.lowerBound * 8, hi = blocks.upperBound == m / 8 ? m : blocks.upperBound * 8
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hi - lo), Int32(n), Int32(k), 1,
                        a + lo, Int32(lda), b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
        }
    }
}
