// Worker-side verification of a FetchPolicy stream (proto/PROTOCOL.md §6.3.1): chunks
// must be contiguous, of one version and size; the assembled blob's SHA-256 must equal
// the digest on the last chunk and the one in the announcement.

/// Why an assembled policy blob was refused. The worker discards the bytes and refetches.
public enum PolicyTransferError: Error, Equatable, Sendable, CustomStringConvertible {
    case versionMismatch(expected: UInt64, got: UInt64)
    case sizeMismatch(expected: UInt64, got: UInt64)
    case outOfOrder(expectedOffset: UInt64, got: UInt64)
    case digestMismatch(expected: [UInt8], computed: [UInt8])
    case dataAfterLastChunk
    case incomplete(received: UInt64, total: UInt64)

    public var description: String {
        switch self {
        case let .versionMismatch(e, g): "policy chunk for version \(g) while fetching \(e)"
        case let .sizeMismatch(e, g): "policy chunk says total size \(g), expected \(e)"
        case let .outOfOrder(e, g): "policy chunk at offset \(g), expected \(e)"
        case let .digestMismatch(e, c): "policy digest mismatch: expected \(hex(e)), computed \(hex(c))"
        case .dataAfterLastChunk: "policy chunk after the last chunk"
        case let .incomplete(r, t): "policy stream ended after \(r) of \(t) bytes"
        }
    }
}

/// Collects `PolicyChunk`s for one announced version and verifies them.
public struct PolicyAssembler: Sendable {
    public let announcement: PolicyAnnouncement
    public private(set) var blob: [UInt8] = []
    private let digest: any SHA256Digest
    private var done = false

    /// `startOffset` > 0 resumes a transfer; pass the bytes already held as `prefix`.
    /// `digest` computes SHA-256 over the whole blob once the last chunk is in (default: the
    /// portable `SHA256`; the worker passes OpenSSL's).
    public init(announcement: PolicyAnnouncement, prefix: [UInt8] = [],
                digest: any SHA256Digest = PortableSHA256()) {
        self.announcement = announcement
        self.digest = digest
        blob.reserveCapacity(Int(clamping: min(announcement.sizeBytes, UInt64(Int32.max))))
        blob.append(contentsOf: prefix)
    }

    /// Offset to put in `FetchPolicyRequest` (bytes held so far).
    public var nextOffset: UInt64 { UInt64(blob.count) }

    /// Adds one chunk. Returns the verified blob when this was the last chunk, nil otherwise.
    public mutating func add(_ chunk: PolicyChunk) throws(PolicyTransferError) -> [UInt8]? {
        if done { throw .dataAfterLastChunk }
        guard chunk.version == announcement.version else { throw .versionMismatch(expected: announcement.version, got: chunk.version) }
        guard chunk.totalSize == announcement.sizeBytes else { throw .sizeMismatch(expected: announcement.sizeBytes, got: chunk.totalSize) }
        guard chunk.offset == nextOffset else { throw .outOfOrder(expectedOffset: nextOffset, got: chunk.offset) }
        blob.append(contentsOf: chunk.data)
        guard chunk.isLast else { return nil }
        done = true
        let computed = digest.sha256(blob)
        for expected in [chunk.digest ?? [], announcement.digest] where expected != computed {
            throw .digestMismatch(expected: expected, computed: computed)
        }
        return blob
    }

    /// Call when the stream ended: throws unless the last chunk was verified.
    public func finish() throws(PolicyTransferError) {
        if !done { throw .incomplete(received: nextOffset, total: announcement.sizeBytes) }
    }

    /// Splits a blob into the chunks a learner sends (the last carries `digest`).
    public static func chunks(version: UInt64, blob: [UInt8], digest: [UInt8], from offset: Int = 0,
                              chunkBytes: Int = WireProtocol.maxPolicyChunkDataBytes) -> [PolicyChunk] {
        precondition(chunkBytes > 0 && chunkBytes <= WireProtocol.maxPolicyChunkDataBytes)
        var out: [PolicyChunk] = []
        var start = offset
        repeat {
            let end = min(start + chunkBytes, blob.count)
            out.append(PolicyChunk(version: version, offset: UInt64(start), totalSize: UInt64(blob.count),
                                   data: Array(blob[start ..< end]), digest: end == blob.count ? digest : nil))
            start = end
        } while start < blob.count
        return out
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
