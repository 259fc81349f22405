// Worker identity on the ingest actor (PROTOCOL.md §3): registration binds a worker id to
// the bearer token that registered it; every later call naming the id is checked, and an id
// that was never issued, said goodbye, went idle or is used with another token is NOT_FOUND
// (counted).

import Foundation
import Wire

extension IngestState {
    /// Registers a worker; its id is bound to `token` (the bearer token of the `/Register` call,
    /// nil in process): later calls naming the id must carry the same token.
    public func register(name: String, address: String, token: String? = nil) -> UInt64 {
        let id = nextWorkerID
        nextWorkerID += 1
        workers[id] = WorkerInfo(id: id, name: name, address: address, lastSeen: now(), leasesHeld: 0, groupsSubmitted: 0, versionInUse: nil)
        workerTokens[id] = Self.tokenDigest(token)
        return id
    }

    static func tokenDigest(_ token: String?) -> [UInt8] { token.map { SHA256.hash(Array($0.utf8)) } ?? [] }

    /// How long a worker may make no request before its id is retired (PROTOCOL.md §3).
    public var workerIdleLimit: Double { 10 * config.leaseSeconds }

    /// Checks that `id` names a live worker registered with `token`, else the NOT_FOUND status
    /// to answer (counted in `unknownWorkerRequests`). An id is unknown when it was never
    /// issued by this process (or predates a restart), after its Goodbye, after
    /// `workerIdleLimit` without a request (its leases are released then), and to any other
    /// token than the one that registered it — so ids cannot be used or probed across tokens.
    public func checkWorker(_ id: UInt64, token: String?) -> RPCStatus? {
        if let info = workers[id], now() - info.lastSeen > workerIdleLimit { goodbye(worker: id) }
        if workers[id] != nil, let bound = workerTokens[id], sameDigest(bound, Self.tokenDigest(token)) {
            workers[id]?.lastSeen = now()
            return nil
        }
        counters.unknownWorkerRequests += 1
        return RPCStatus(.notFound, "worker id \(id) is not registered (never, or it said goodbye, went idle, or the learner restarted): register again")
    }

}

/// Equal digests, comparing every byte (no early exit).
func sameDigest(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
