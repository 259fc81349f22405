// HeapTrim: hands freed heap memory back to the system after a stalled peer's queued
// response bytes are dropped (docs/transport.md "Bounded memory"). glibc keeps freed
// blocks in its arenas, and large queue buffers raise its mmap threshold, so without
// a trim the process RSS would stay at an attack's peak long after the queues are gone.

#if canImport(Glibc)
import Glibc

/// glibc's `malloc_trim` (malloc.h is not part of the Glibc module), looked up once.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
}()
#endif

/// `malloc_trim(0)` on glibc; a no-op elsewhere.
func releaseFreeHeapMemory() {
    #if canImport(Glibc)
    _ = mallocTrim?(0)
    #endif
}
