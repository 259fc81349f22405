// Fork–join parallelism for the model's element-wise and per-sequence loops (everything that is
// not a GEMM), on as many threads as OpenBLAS is allowed (`Blas.setThreads`), so that the
// non-GEMM parts of a 2-thread update scale like the GEMMs do. Work is split into contiguous
// chunks; callers make sure chunks write disjoint memory.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread-specific marker: set while a thread runs a chunk of a parallel region.
private let regionKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

/// Splitting index ranges over the configured number of threads.
public enum Parallel {
    /// Wraps a non-escaping body for `concurrentPerform`; safe because the call is synchronous and
    /// every chunk touches disjoint memory (the caller's contract).
    private struct Body: @unchecked Sendable { let run: (Range<Int>) -> Void }

    /// True on a thread that is running a chunk of a parallel region: nested `forChunks` calls and
    /// GEMMs then run inline, single-threaded.
    public static var isInsideRegion: Bool { pthread_getspecific(regionKey) != nil }

    /// Calls `body` on contiguous chunks covering `0..<count`, in parallel on up to `Blas.threads`
    /// threads, but never with chunks smaller than `grain` (small jobs, and calls from inside another
    /// region, run inline on the caller).
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(Blas.threads, count / max(grain, 1))
        if parts <= 1 || isInsideRegion { if count > 0 { body(0..<count) }; return }
        withoutActuallyEscaping(body) { esc in
            let b = Body(run: esc)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                pthread_setspecific(regionKey, UnsafeRawPointer(bitPattern: 1))
                b.run((i * count / parts)..<((i + 1) * count / parts))
                pthread_setspecific(regionKey, nil)
            }
        }
    }
}
