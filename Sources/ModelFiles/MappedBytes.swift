// Read-only bytes of a whole file: memory-mapped from disk (so a multi-hundred-megabyte GGUF is
// never copied into the heap), or copied from an array for tests. Plus a bounds-checked cursor
// that reads little-endian values and reports where a file ends too early.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes that stay valid for the lifetime of the object (unmapped or freed on deinit).
/// Sendable because nothing ever writes through `base` after initialisation.
final class MappedBytes: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    private let isMapped: Bool

    /// Maps the file at `path` read-only; `fail` turns an OS message into the caller's error.
    init(path: String, fail: (String) -> any Error) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw fail("not a regular file") }
        let size = Int(st.st_size)
        if size == 0 {
            base = nil; count = 0; isMapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw fail("mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p); count = size; isMapped = true
    }

    /// A private copy of `bytes`.
    init(copying bytes: [UInt8]) {
        count = bytes.count
        isMapped = false
        if bytes.isEmpty { base = nil; return }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
    }

    /// The whole contents (empty when the file is empty).
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Sequential little-endian reads over a byte buffer; every read checks the bounds first and
/// throws `GGUFError.Kind.truncated` naming the offset and what was being read.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// Bytes left after the current offset.
    var remaining: Int { bytes.count - offset }

    /// Throws unless `n` more bytes are available for `what`.
    func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw GGUFError(file: file, .truncated(offset: offset, expected: "\(what()) (\(n) bytes)",
                                                   available: remaining))
        }
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws {
        try need(n, what())
        offset += n
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let n = MemoryLayout<T>.size
        try need(n, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += n
        return T(littleEndian: v)
    }

    /// A GGUF string: u64 byte length then UTF-8 bytes (not NUL-terminated).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try read(UInt64.self, "length of \(what())")
        guard length <= UInt64(remaining) else {
            throw GGUFError(file: file, .truncated(offset: offset, expected: "\(length) bytes of \(what())",
                                                   available: remaining))
        }
        let n = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw GGUFError(file: file, .invalidString(offset: start, what: what()))
        }
        offset += n
        return s
    }

    /// Reads `count` fixed-width integers in one go (no per-element allocation).
    mutating func array<T: FixedWidthInteger>(of _: T.Type, count: Int, _ what: @autoclosure () -> String) throws -> [T] {
        let size = MemoryLayout<T>.size
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow else { throw GGUFError(file: file, .countTooLarge(offset: offset, what: what(), count: UInt64(count))) }
        try need(total, what())
        let start = offset
        let out = [T](unsafeUninitializedCapacity: count) { buf, initialised in
            for i in 0..<count {
                buf[i] = T(littleEndian: bytes.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
            }
            initialised = count
        }
        offset += total
        return out
    }
}
