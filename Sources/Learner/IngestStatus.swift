// What the status routes read of ingestion: one consistent snapshot of the ingest actor's
// counts, taken in one actor turn, and the sliding window behind the ingest rates of /status
// (on the actor's clock, so tests drive it with a manual one).

import Foundation

extension IngestState {
    /// Ingestion's counts, read in one actor turn so that they add up (see `groupsTaken`).
    func snapshot() -> IngestSnapshot {
        let (gps, bps) = rate.perSecond(at: now())
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
    var version: Int
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
