// The registered workers (PROTOCOL.md §3): ids handed out at registration, each bound to the
// SHA-256 of the bearer token that registered it, and the per-worker figures of /status
// (last request, leases held, groups submitted, version in use). A value type that never reads
// a clock: the ingest actor owns one and passes the time in.

import Rollout
import Wire

/// Per-worker bookkeeping for the status endpoint.
package struct WorkerInfo: Codable, Sendable {
    package var id: UInt64
    package var name: String
    package var address: String
    package var lastSeen: Double
    package var leasesHeld: Int
    package var groupsSubmitted: Int
    package var versionInUse: PolicyVersion?
}

/// Worker ids, the token each is bound to, and what /status shows of each.
struct WorkerRegistry: Sendable {
    private(set) var workers: [UInt64: WorkerInfo] = [:]
    /// SHA-256 of the bearer token each worker registered with (empty: no token, in process).
    private var tokens: [UInt64: [UInt8]] = [:]
    /// The id the next registration gets (ids are never reused; see `IngestState.restore`).
    private(set) var nextID: UInt64
    /// Seconds a worker may make no request before its id is retired.
    let idleLimit: Double

    init(nextID: UInt64, idleLimit: Double) {
        self.nextID = nextID
        self.idleLimit = idleLimit
    }

    /// Registers a worker seen at `now`, bound to `token` (nil in process); returns its id.
    mutating func register(name: String, address: String, token: String?, now: Double) -> UInt64 {
        let id = nextID
        nextID += 1
        workers[id] = WorkerInfo(id: id, name: name, address: address, lastSeen: now, leasesHeld: 0, groupsSubmitted: 0, versionInUse: nil)
        tokens[id] = Self.digest(token)
        return id
    }

    /// Whether `id` is registered and made no request for longer than `idleLimit` before `now`.
    func isIdle(_ id: UInt64, now: Double) -> Bool {
        guard let info = workers[id] else { return false }
        return now - info.lastSeen > idleLimit
    }

    /// Whether `id` is registered with `token`; if so it counts as seen at `now`. Compares the
    /// digests in full, so ids cannot be probed across tokens by timing.
    mutating func authenticate(_ id: UInt64, token: String?, now: Double) -> Bool {
        guard workers[id] != nil, let bound = tokens[id], sameDigest(bound, Self.digest(token)) else { return false }
        workers[id]?.lastSeen = now
        return true
    }

    /// A request from `id` at `now`, naming the policy version it uses (if it says).
    mutating func touch(_ id: UInt64, version: PolicyVersion?, now: Double) {
        workers[id]?.lastSeen = now
        if let version { workers[id]?.versionInUse = version }
    }

    /// Forgets `id` (Goodbye, or idle): later calls naming it are NOT_FOUND.
    mutating func remove(_ id: UInt64) {
        workers[id] = nil
        tokens[id] = nil
    }

    /// `id` got (`delta` > 0) or gave back (< 0) leases.
    mutating func leasesHeld(_ id: UInt64, _ delta: Int) { workers[id]?.leasesHeld += delta }

    /// `id` had a group accepted.
    mutating func submitted(_ id: UInt64) { workers[id]?.groupsSubmitted += 1 }

    static func digest(_ token: String?) -> [UInt8] { token.map { SHA256.hash(Array($0.utf8)) } ?? [] }
}

/// Equal digests, comparing every byte (no early exit).
func sameDigest(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
