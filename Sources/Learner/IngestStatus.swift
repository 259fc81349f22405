// What the status routes read of ingestion: the counters, one consistent snapshot of the
// ingest actor's counts taken in one actor turn, and the sliding window behind the ingest
// rates of /status (on the learner's clock, so tests drive it with a manual one).

import Foundation
import Rollout

/// Counters for /status and /metrics.
package struct IngestCounters: Codable, Sendable {
    package var accepted = 0
    package var rejected: [String: Int] = [:]
    package var leasesIssued = 0
    package var leasesExpired = 0
    package var stalenessHistogram: [Int: Int] = [:]
    package var bytesReceived = 0
    /// fsyncs of the write-ahead log for accepted groups (one per submitted batch, not per group).
    package var walSyncs = 0
    /// Requests refused with NOT_FOUND because their worker id was never registered, said
    /// goodbye, went idle, belongs to another token, or predates a restart.
    package var unknownWorkerRequests = 0

    /// One group accepted: `bytes` of record, `staleness` versions behind the learner.
    mutating func accepted(bytes: Int, staleness: Int) {
        accepted += 1
        bytesReceived += bytes
        stalenessHistogram[staleness, default: 0] += 1
    }
}

extension IngestState {
    /// Ingestion's counts, read in one actor turn so that they add up (see `groupsTaken`).
    func snapshot() -> IngestSnapshot {
        let (gps, bps) = rate.perSecond(at: clock.now())
        return IngestSnapshot(counters: counters, buffered: buffer.count, groupsTaken: groupsTaken,
                       leasesCompleted: leases.trainedCount, outstandingLeases: leases.outstanding.count,
                       promptCursor: leases.promptCursor, promptsAwaitingReissue: leases.reissueQueue.count,
                       workers: workers, version: version, groupsPerSecond: gps, bytesPerSecond: bps)
    }
}

/// One consistent reading of `IngestState` for the status routes.
struct IngestSnapshot: Sendable {
    var counters: IngestCounters
    var buffered: Int
    var groupsTaken: Int
    var leasesCompleted: Int
    var outstandingLeases: Int
    var promptCursor: Int
    var promptsAwaitingReissue: Int
    var workers: [UInt64: WorkerInfo]
    var version: PolicyVersion
    /// Accepted groups and bytes per second over the last `IngestRate.window` seconds.
    var groupsPerSecond: Double
    var bytesPerSecond: Double
}

/// Accepted groups and bytes over a sliding window of the last `window` seconds, in
/// one-second buckets, on the ingest actor's clock (injected in tests).
struct IngestRate: Sendable {
    static let window = 10
    private struct Bucket: Sendable { var second: Int64; var groups: Int; var bytes: Int }
    private var buckets: [Bucket] = []

    mutating func add(groups: Int, bytes: Int, at t: Double) {
        let s = Int64(t.rounded(.down))
        if let last = buckets.indices.last, buckets[last].second == s {
            buckets[last].groups += groups
            buckets[last].bytes += bytes
        } else {
            buckets.append(Bucket(second: s, groups: groups, bytes: bytes))
        }
        buckets.removeAll { $0.second <= s - Int64(Self.window) }
    }

    /// Groups and bytes per second over the `window` seconds ending at `t` (the current,
    /// partial second and the `window − 1` before it), divided by the window.
    func perSecond(at t: Double) -> (groups: Double, bytes: Double) {
        let s = Int64(t.rounded(.down))
        let recent = buckets.filter { $0.second > s - Int64(Self.window) && $0.second <= s }
        let w = Double(Self.window)
        return (Double(recent.reduce(0) { $0 + $1.groups }) / w, Double(recent.reduce(0) { $0 + $1.bytes }) / w)
    }
}
