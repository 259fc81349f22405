// Lease long polling: a lease request that finds no work is held open and answered as soon
// as work exists (a batch taken frees buffer capacity; in sync mode, the next version is
// published), or answered empty after the poll; in sync mode nothing is leased while the
// batch is training. On a manual clock: the tests wait until the request is held open (it
// sleeps on the clock) and move time by hand, with no wall-clock sleeps.

import Foundation
import XCTest
import Wire
@testable import Learner

final class LeaseLongPollTests: XCTestCase {
    private let clock = ManualClock()

    private func open(sync: Bool) async throws -> (LearnerNode, LocalEndpoint, UInt64) {
        let node = try await openTestNode("longpoll", clock: clock) { c in
            c.groupSize = 4
            c.groupsPerStep = 2
            c.bufferCapacity = 2
            c.sync = sync
        }
        let ep = LocalEndpoint(node: node)
        let w = try await ep.register(RegisterRequest(workerName: "t", softwareVersion: "test")).workerId
        return (node, ep, w)
    }

    /// Leases `n` prompts and submits a valid group for each (the buffer then holds them).
    private func fill(_ ep: LocalEndpoint, worker: UInt64, version: UInt64, n: Int) async throws {
        let grant = try await ep.lease(LeaseRequest(workerId: worker, maxPrompts: UInt32(n), currentVersion: version))
        XCTAssertEqual(grant.units.count, n)
        let groups = validGroups(grant, worker: worker, version: version, groupSize: 4)
        let acks = try await ep.submit(groups)
        XCTAssertEqual(acks.map(\.outcome), Array(repeating: .accepted, count: n))
    }

    func testAWaitingLeaseIsAnsweredWhenABatchFreesCapacity() async throws {
        let (node, ep, w) = try await open(sync: false)
        let v = await node.ingest.version.wire
        try await fill(ep, worker: w, version: v, n: 2)                 // buffer full: no capacity
        let pending = Task { try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: v)) }
        await clock.waitForSleepers(1)                                   // the request is held open
        let waiting = await node.ingest.leaseRequestsWaiting
        XCTAssertEqual(waiting, 1)
        let batch = await node.ingest.takeBatch(2)
        XCTAssertEqual(batch.count, 2)
        // Answered at once, not at the end of the poll: the clock has not moved.
        let grant = try await pending.value
        XCTAssertEqual(grant.units.count, 2)
        XCTAssertNil(grant.retryAfterMs)
        XCTAssertEqual(clock.sleeping, 0, "the poll's timer must be cancelled once the request is answered")
        await node.ingest.shutdown()
    }

    func testALeaseWithNoWorkIsAnsweredEmptyAfterThePoll() async throws {
        let (node, ep, w) = try await open(sync: false)
        let v = await node.ingest.version.wire
        try await fill(ep, worker: w, version: v, n: 2)
        let pending = Task { try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: v)) }
        await clock.waitForSleepers(1)
        clock.advance(LocalEndpoint.leaseLongPollSeconds / 2)            // not yet: still held open
        XCTAssertEqual(clock.sleeping, 1, "the request was answered before the poll ended")
        let still = await node.ingest.leaseRequestsWaiting
        XCTAssertEqual(still, 1)
        clock.advance(LocalEndpoint.leaseLongPollSeconds / 2)            // the poll ends
        let grant = try await pending.value
        XCTAssertTrue(grant.units.isEmpty)
        XCTAssertEqual(grant.retryAfterMs, 10)
        await node.ingest.shutdown()
    }

    func testSyncModeLeasesNothingWhileTheBatchTrainsThenOnlyTheNewVersion() async throws {
        let (node, ep, w) = try await open(sync: true)
        let v0 = await node.ingest.version
        try await fill(ep, worker: w, version: v0.wire, n: 2)
        _ = await node.ingest.takeBatch(2)                               // the batch is training
        let duringTraining = Task { try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: v0.wire)) }
        await clock.waitForSleepers(1)                                   // held open while the batch trains
        let bytes = [UInt8](repeating: 7, count: 64)
        await node.ingest.publish(PublishedPolicy(version: v0.next, step: 1, bytes: bytes, digest: SHA256.hash(bytes)))
        // Woken by the publication; the worker's version is now old, so it must fetch first.
        let stale = try await duringTraining.value
        XCTAssertTrue(stale.units.isEmpty, "sync mode leased \(stale.units.count) prompts for the version being replaced")
        let fresh = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 2, currentVersion: v0.next.wire))
        XCTAssertEqual(fresh.units.count, 2)
        XCTAssertEqual(fresh.units.map(\.policyVersion), [v0.next.wire, v0.next.wire])
        await node.ingest.shutdown()
    }
}
