// Policy distribution messages (proto/PROTOCOL.md §6.2, §6.3): Watch → stream of
// PolicyAnnouncement; FetchPolicy → stream of PolicyChunk (safetensors bytes).

/// Worker → learner (`/Watch`): subscribe to policy announcements.
public struct WatchRequest: WireMessage {
    public static let kind = MessageKind.watchRequest
    public var workerId: UInt64
    /// Version the worker already holds; nil when it holds none. The learner sends the
    /// current announcement immediately unless it equals this version.
    public var lastKnownVersion: UInt64?

    public init(workerId: UInt64, lastKnownVersion: UInt64? = nil) {
        self.workerId = workerId
        self.lastKnownVersion = lastKnownVersion
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, workerId)
        if let lastKnownVersion { w.u64(2, lastKnownVersion) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        workerId = try r.u64(1, "workerId")
        lastKnownVersion = try r.u64IfPresent(2, "lastKnownVersion")
    }
}

/// Learner → worker: a new policy version exists.
public struct PolicyAnnouncement: WireMessage {
    public static let kind = MessageKind.policyAnnouncement
    public var version: UInt64
    /// SHA-256 of the complete safetensors blob (exactly 32 bytes).
    public var digest: [UInt8]
    /// Size of the blob in bytes.
    public var sizeBytes: UInt64
    /// Optimizer steps taken when this version was published.
    public var step: UInt64

    public init(version: UInt64, digest: [UInt8], sizeBytes: UInt64, step: UInt64) {
        self.version = version
        self.digest = digest
        self.sizeBytes = sizeBytes
        self.step = step
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, version)
        w.bytes(2, digest)
        w.u64(3, sizeBytes)
        w.u64(4, step)
    }

    public init(fields r: FieldReader) throws(WireError) {
        version = try r.u64(1, "version")
        digest = try r.bytes(2, "digest")
        guard digest.count == WireProtocol.digestBytes else {
            throw r.invalid("digest", "must be 32 bytes (SHA-256), got \(digest.count)")
        }
        sizeBytes = try r.u64(3, "sizeBytes")
        step = try r.u64(4, "step")
    }
}

/// Worker → learner (`/FetchPolicy`): stream the blob of `version` from `offset`.
public struct FetchPolicyRequest: WireMessage {
    public static let kind = MessageKind.fetchPolicyRequest
    public var version: UInt64
    /// Byte offset to resume from (default 0).
    public var offset: UInt64

    public init(version: UInt64, offset: UInt64 = 0) {
        self.version = version
        self.offset = offset
    }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, version)
        if offset != 0 { w.u64(2, offset) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        version = try r.u64(1, "version")
        offset = try r.u64IfPresent(2, "offset") ?? 0
    }
}

/// Learner → worker: one piece of the safetensors blob. Chunks arrive in order and are
/// contiguous; the last one (offset + data.count == totalSize) carries the digest.
public struct PolicyChunk: WireMessage {
    public static let kind = MessageKind.policyChunk
    public var version: UInt64
    public var offset: UInt64
    public var totalSize: UInt64
    /// At most `WireProtocol.maxPolicyChunkDataBytes` bytes.
    public var data: [UInt8]
    /// SHA-256 of the whole blob; present exactly on the last chunk.
    public var digest: [UInt8]?

    public init(version: UInt64, offset: UInt64, totalSize: UInt64, data: [UInt8], digest: [UInt8]? = nil) {
        self.version = version
        self.offset = offset
        self.totalSize = totalSize
        self.data = data
        self.digest = digest
    }

    /// True when this chunk ends the blob.
    public var isLast: Bool { offset + UInt64(data.count) == totalSize }

    public func encodeFields(into w: inout FieldWriter) {
        w.u64(1, version)
        w.u64(2, offset)
        w.u64(3, totalSize)
        w.bytes(4, data)
        if let digest { w.bytes(5, digest) }
    }

    public init(fields r: FieldReader) throws(WireError) {
        version = try r.u64(1, "version")
        offset = try r.u64(2, "offset")
        totalSize = try r.u64(3, "totalSize")
        data = try r.bytes(4, "data")
        digest = try r.bytesIfPresent(5, "digest")
        guard data.count <= WireProtocol.maxPolicyChunkDataBytes else {
            throw r.invalid("data", "\(data.count) bytes exceeds the chunk limit \(WireProtocol.maxPolicyChunkDataBytes)")
        }
        guard offset <= totalSize, UInt64(data.count) <= totalSize - offset else {
            throw r.invalid("data", "chunk [\(offset), +\(data.count)) runs past totalSize \(totalSize)")
        }
        if data.isEmpty && !isLast {
            throw r.invalid("data", "only the last chunk may be empty")
        }
        if let digest, digest.count != WireProtocol.digestBytes {
            throw r.invalid("digest", "must be 32 bytes (SHA-256), got \(digest.count)")
        }
        if isLast != (digest != nil) {
            throw r.invalid("digest", isLast ? "the last chunk must carry the digest" : "only the last chunk may carry a digest")
        }
    }
}
