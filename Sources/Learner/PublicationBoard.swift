// The published side of ingestion: the current policy version, the encoded versions workers
// may still fetch (`PolicyStore`), and the Watch streams that hear of every new one. A value
// type owned by the ingest actor; `Publisher` feeds it through `IngestState.publish`.

import Foundation
import Rollout
import Wire

/// The current version, the fetchable versions and their watchers.
struct PublicationBoard: Sendable {
    private(set) var version: PolicyVersion
    private(set) var store = PolicyStore()
    private var watchers: [UUID: AsyncStream<PolicyAnnouncement>.Continuation] = [:]

    init(version: PolicyVersion) { self.version = version }

    /// The announcement of the current policy, if one is published.
    var currentAnnouncement: PolicyAnnouncement? { store.latest?.announcement }

    var watcherCount: Int { watchers.count }

    /// Makes `policy` the current version and announces it to every watcher.
    mutating func publish(_ policy: PublishedPolicy) {
        store.publish(policy)
        version = policy.version
        for (_, c) in watchers { c.yield(policy.announcement) }
    }

    /// Adds a watcher: it hears the current version at once unless it holds `lastKnownVersion`
    /// already (PROTOCOL.md §3 Watch), then every newly published one.
    mutating func watch(_ id: UUID, _ cont: AsyncStream<PolicyAnnouncement>.Continuation, lastKnownVersion: UInt64?) {
        if let latest = store.latest, latest.announcement.version != lastKnownVersion { cont.yield(latest.announcement) }
        watchers[id] = cont
    }

    mutating func unwatch(_ id: UUID) { watchers[id] = nil }

    /// Ends every watch stream (shutdown).
    mutating func finishAll() {
        for (_, c) in watchers { c.finish() }
        watchers = [:]
    }
}
