// The learner's write-ahead log: every accepted group is appended and fsynced before it
// is acknowledged, so an ack means "on disk". Records carry a sequence number and a CRC;
// replay stops at the first torn or corrupt record (a crash mid-append) and truncates it.
// Segments are rotated at checkpoints and deleted once a checkpoint covers them.
//
// Record layout (little-endian): u32 payload length | u32 CRC-32 of (seq ‖ payload) |
// u64 sequence | payload bytes.

import Foundation

/// Errors of the write-ahead log (I/O failures name the file).
package enum WALError: Error, CustomStringConvertible, Equatable {
    case io(path: String, errno: Int32, op: String)
    case recordTooLarge(Int)
    case corrupt(path: String, offset: Int)

    package var description: String {
        switch self {
        case let .io(p, e, op): return "wal: \(op) \(p) failed: \(String(cString: strerror(e)))"
        case let .recordTooLarge(n): return "wal: record of \(n) bytes exceeds the 64 MiB limit"
        case let .corrupt(p, o): return "wal: \(p) is corrupt at byte \(o) and is not the newest segment; refusing to drop later records"
        }
    }
}

/// One durable record: its sequence number and payload.
package struct WALRecord: Equatable, Sendable {
    package var sequence: UInt64
    package var payload: [UInt8]
}

/// An append-only, checksummed, segmented log in one directory. Not thread-safe:
/// owned by one actor or task.
package final class WriteAheadLog {
    package let directory: URL
    private var fd: Int32 = -1
    private var segmentStart: UInt64 = 0
    /// Sequence number the next appended record gets.
    package private(set) var nextSequence: UInt64 = 0
    static let headerSize = 16
    static let maxRecord = 64 << 20

    /// Opens (creating if needed) the log in `directory`; call `replay` before appending.
    package init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { if fd >= 0 { close(fd) } }

    private func segments() throws -> [(start: UInt64, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { n -> (UInt64, URL)? in
            guard n.hasPrefix("wal-"), n.hasSuffix(".log"), let s = UInt64(n.dropFirst(4).dropLast(4)) else { return nil }
            return (s, directory.appendingPathComponent(n))
        }.sorted { $0.0 < $1.0 }
    }

    /// Reads every intact record with sequence ≥ `from`, truncates a torn tail, and opens
    /// the newest segment for appending.
    package func replay(from: UInt64 = 0) throws -> [WALRecord] {
        var out: [WALRecord] = []
        var last: UInt64? = nil
        let segs = try segments()
        for (i, seg) in segs.enumerated() {
            let data = try Data(contentsOf: seg.url)
            var off = 0
            let bytes = [UInt8](data)
            while off + Self.headerSize <= bytes.count {
                let len = Int(readLE32(bytes, off)), crc = readLE32(bytes, off + 4)
                guard len <= Self.maxRecord, off + Self.headerSize + len <= bytes.count else { break }
                let body = bytes[(off + 8)..<(off + Self.headerSize + len)]
                guard CRC32.checksum(body) == crc else { break }
                let seq = readLE64(bytes, off + 8)
                if seq >= from { out.append(WALRecord(sequence: seq, payload: Array(bytes[(off + Self.headerSize)..<(off + Self.headerSize + len)]))) }
                last = seq
                off += Self.headerSize + len
            }
            if off < bytes.count {
                // A torn tail (crash mid-append) can only be in the newest segment.
                guard i == segs.count - 1 else { throw WALError.corrupt(path: seg.url.path, offset: off) }
                guard truncate(seg.url.path, off_t(off)) == 0 else { throw WALError.io(path: seg.url.path, errno: errno, op: "truncate") }
            }
        }
        nextSequence = max(from, (last ?? 0) + (last == nil ? 0 : 1))
        try openSegment(start: segs.last?.start ?? nextSequence)
        return out
    }

    private func openSegment(start: UInt64) throws {
        if fd >= 0 { close(fd) }
        let path = directory.appendingPathComponent(String(format: "wal-%020llu.log", start)).path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WALError.io(path: path, errno: errno, op: "open") }
        segmentStart = start
        try syncDirectory()
    }

    /// Appends `payloads` and fsyncs once; returns their sequence numbers. When this returns
    /// the records are durable.
    @discardableResult
    package func append(_ payloads: [[UInt8]]) throws -> [UInt64] {
        var buf: [UInt8] = []
        var seqs: [UInt64] = []
        for p in payloads {
            guard p.count <= Self.maxRecord else { throw WALError.recordTooLarge(p.count) }
            let seq = nextSequence
            nextSequence += 1
            seqs.append(seq)
            var seqBytes: [UInt8] = []
            appendLE64(&seqBytes, seq)
            let crc = CRC32.checksum(p, crc: CRC32.checksum(seqBytes))
            appendLE32(&buf, UInt32(p.count)); appendLE32(&buf, crc); buf += seqBytes; buf += p
        }
        try buf.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; throw WALError.io(path: directory.path, errno: errno, op: "write") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw WALError.io(path: directory.path, errno: errno, op: "fsync") }
        return seqs
    }

    /// Starts a new segment; every record before it stays readable until `discard(before:)`.
    package func rotate() throws { try openSegment(start: nextSequence) }

    /// Deletes segments whose records all have sequence < `sequence` (a checkpoint covers them).
    package func discard(before sequence: UInt64) throws {
        let segs = try segments()
        for (i, s) in segs.enumerated() where i + 1 < segs.count && segs[i + 1].start <= sequence && s.start != segmentStart {
            try? FileManager.default.removeItem(at: s.url)
        }
        try syncDirectory()
    }

    private func syncDirectory() throws {
        let dfd = open(directory.path, O_RDONLY | O_DIRECTORY)
        guard dfd >= 0 else { throw WALError.io(path: directory.path, errno: errno, op: "open dir") }
        defer { close(dfd) }
        _ = fsync(dfd)
    }
}

@inline(__always) func readLE32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
}
@inline(__always) func readLE64(_ b: [UInt8], _ o: Int) -> UInt64 {
    UInt64(readLE32(b, o)) | UInt64(readLE32(b, o + 4)) << 32
}
@inline(__always) func appendLE32(_ b: inout [UInt8], _ v: UInt32) {
    b.append(UInt8(v & 0xFF)); b.append(UInt8((v >> 8) & 0xFF)); b.append(UInt8((v >> 16) & 0xFF)); b.append(UInt8(v >> 24))
}
@inline(__always) func appendLE64(_ b: inout [UInt8], _ v: UInt64) {
    appendLE32(&b, UInt32(v & 0xFFFF_FFFF)); appendLE32(&b, UInt32(v >> 32))
}
