// BLAS entry points used by the model: row-major single-precision GEMM through OpenBLAS's CBLAS
// interface (or, for products with few rows against a transposed weight — decode steps — the
// few-rows kernel of FewRowsGemm.swift), and the GEMM threading policy. Everything else in the
// model is plain Swift loops.

import COpenBLAS

/// Thin, typed wrappers over OpenBLAS. All matrices are row-major.
///
/// Thread policy (`threadMode`): by default (`.split`) OpenBLAS itself runs single-threaded and a
/// large GEMM (2·m·n·k ≥ `multiThreadFlops`) is split into row blocks of C computed concurrently
/// by `Parallel` — one thread pool for GEMMs and element-wise loops, whose idle workers sleep.
/// With `.openblas`, OpenBLAS's own pool is used for large GEMMs; its idle workers spin with
/// sched_yield, which on the shared 2-core target cost ~20–30 % of an update under load
/// (perf), and it scaled worse on the long-K weight-gradient shapes. Small GEMMs always run on
/// one thread, where waking a second one costs more than it saves.
public enum Blas {
    /// How large GEMMs use more than one thread.
    public enum ThreadMode: String, Sendable, Codable {
        /// Concurrent single-threaded OpenBLAS calls on row blocks (default).
        case split
        /// OpenBLAS's internal thread pool.
        case openblas
    }

    // Process-wide settings, written at configuration time (`setThreads`, the two knobs below)
    // and by the GEMM wrapper on the model's thread; OpenBLAS's thread count is global too.
    nonisolated(unsafe) private static var maximum = max(1, Int(openblas_get_num_threads()))
    nonisolated(unsafe) private static var current = max(1, Int(openblas_get_num_threads()))
    /// GEMMs with fewer floating-point operations than this run single-threaded.
    nonisolated(unsafe) public static var multiThreadFlops = 8_000_000
    /// See the type's documentation.
    nonisolated(unsafe) public static var threadMode = ThreadMode.split
    /// Products `A · Bᵀ` (B stored `[N,K]`: Linear weights, the LM head) with at most this many rows
    /// run on `FewRowsGemm` instead of OpenBLAS: the sampler's decode steps (one row per sequence).
    /// Prefill and the learner have more rows and keep OpenBLAS. 0 sends everything to OpenBLAS.
    nonisolated(unsafe) public static var fewRowsMaxRows = 32
    /// Few-rows products whose B has at least this many floats split B's rows (C's columns) over the
    /// threads, so that each core streams its own part of the weights.
    nonisolated(unsafe) public static var fewRowsSplitFloats = 1 << 16

    /// Sets the maximum number of threads for GEMMs and `Parallel` (process-wide).
    public static func setThreads(_ n: Int) {
        maximum = max(1, n)
        useThreads(threadMode == .openblas ? maximum : 1)
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
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if !transA && transB && m <= fewRowsMaxRows && k > 0
            && fewRows(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) { return }
        if Parallel.isInsideRegion {  // already one of several threads: stay on this one
            raw(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        let big = maximum > 1 && 2 * m * n * k >= multiThreadFlops
        if !big || threadMode == .openblas || max(m, n) < 16 {
            useThreads(big ? maximum : 1)
            raw(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        useThreads(1)
        if n > m {
            // Column blocks of C (short, wide products such as a sampling step): each thread packs only
            // its part of B. Column j of op(B) starts at b + j, or at b + j·ldb when B is stored transposed.
            let blocks = n / 8
            Parallel.forChunks(blocks) { r in
                let lo = r.lowerBound * 8, hi = r.upperBound == blocks ? n : r.upperBound * 8
                raw(transA, transB, m, hi - lo, k, alpha, a, lda, transB ? b + lo * ldb : b + lo, ldb, beta,
                    c + lo, ldc)
            }
            return
        }
        // Row blocks of C (multiples of 8 rows; the last block takes the remainder). Row i of op(A)
        // starts at a + i·lda, or at a + i when A is stored transposed.
        let blocks = m / 8
        Parallel.forChunks(blocks) { r in
            let lo = r.lowerBound * 8, hi = r.upperBound == blocks ? m : r.upperBound * 8
            raw(transA, transB, hi - lo, n, k, alpha, transA ? a + lo : a + lo * lda, lda, b, ldb, beta,
                c + lo * ldc, ldc)
        }
    }

    /// A few-rows product on `FewRowsGemm`, split by columns over the threads when B is large;
    /// false (nothing written) when the dimensions are invalid, which OpenBLAS then reports.
    private static func fewRows(_ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                                _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Bool {
        let parallel = maximum > 1 && n * k >= fewRowsSplitFloats && n >= 2 * columnBlock && !Parallel.isInsideRegion
        if !parallel { return FewRowsGemm.raw(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, w: b, ldw: ldb, beta: beta, c: c, ldc: ldc) }
        guard (try? FewRowsGemm.validate(m: m, n: n, k: k, lda: lda, ldw: ldb, ldc: ldc)) != nil else { return false }
        // Each element is computed the same way whichever block holds it: the split does not change results.
        let blocks = (n + columnBlock - 1) / columnBlock
        Parallel.forChunks(blocks) { r in
            let lo = r.lowerBound * columnBlock, hi = min(n, r.upperBound * columnBlock)
            _ = FewRowsGemm.raw(m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda, w: b + lo * ldb, ldw: ldb,
                                beta: beta, c: c + lo, ldc: ldc)
        }
        return true
    }

    /// Columns per unit of the few-rows split (a multiple of the kernel's 3 weight rows per block).
    private static let columnBlock = 48

    @inline(__always)
    private static func raw(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                            _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                            _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
