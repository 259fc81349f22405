// Fork–join parallelism for the model's element-wise and per-sequence loops (everything that is
// not a GEMM), on as many threads as OpenBLAS is allowed (`Blas.setThreads`), so that the
// non-GEMM parts of a 2-thread update scale like the GEMMs do. Work is split into contiguous
// chunks; callers make sure chunks write disjoint memory.

import Dispatch

/// Splitting index ranges over the configured number of threads.
public enum Parallel {
    /// Wraps a non-escaping body for `concurrentPerform`; safe because the call is synchronous and
    /// every chunk touches disjoint memory (the caller's contract).
    private struct Body: @unchecked Sendable { let run: (Range<Int>) -> Void }

    /// Calls `body` on contiguous chunks covering `0..<count`, in parallel on up to `Blas.threads`
    /// threads, but never with chunks smaller than `grain` (small jobs run inline on the caller).
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(Blas.threads, count / max(grain, 1))
        if parts <= 1 { if count > 0 { body(0..<count) }; return }
        withoutActuallyEscaping(body) { esc in
            let b = Body(run: esc)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                b.run((i * count / parts)..<((i + 1) * count / parts))
            }
        }
    }
}
