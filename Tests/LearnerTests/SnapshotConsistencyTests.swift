// The readings a checkpoint and the status routes take of ingestion are single actor turns,
// so they agree with themselves while submissions and batch takes run concurrently:
// - checkpoint: every logged record below `walNext` has its lease completed in the book (a
//   record below `walNext` with an outstanding lease would be buffered *and* re-issued after a
//   restart, so its prompt would be trained twice);
// - status: groups taken + buffered = leases completed.

import Foundation
import XCTest
import Wire
@testable import Learner

final class SnapshotConsistencyTests: XCTestCase {
    func testCheckpointAndStatusReadingsAddUpUnderConcurrentSubmissions() async throws {
        let node = try await openTestNode("snapshot") { c in
            c.groupSize = 2
            c.groupsPerStep = 3
            c.bufferCapacity = 4096
            c.maxPromptsPerLease = 64
        }
        let ep = LocalEndpoint(node: node)
        let ingest = node.ingest
        let v = await ingest.version.wire
        let start = await ingest.checkpointView()

        // Four submitters, one group per call so that readings can fall between any two.
        let submitters = (0..<4).map { n in
            Task {
                let w = try await ep.register(RegisterRequest(workerName: "s\(n)", softwareVersion: "test")).workerId
                var accepted = 0
                for _ in 0..<8 {
                    let grant = try await ep.lease(LeaseRequest(workerId: w, maxPrompts: 16, currentVersion: v))
                    for g in validGroups(grant, worker: w, version: v, groupSize: 2) {
                        let acks = try await ep.submit([g])
                        if acks.first?.outcome == .accepted { accepted += 1 }
                    }
                }
                return accepted
            }
        }
        let trainer = Task {
            var taken = 0
            for _ in 0..<20 { taken += await ingest.takeBatch(3).count }
            return taken
        }
        // Read until every group is in, so the readings interleave with the submissions.
        var readings = 0, completed = 0
        while completed - start.leases.trainedCount < 4 * 8 * 16 {
            let view = await ingest.checkpointView()
            XCTAssertEqual(view.leases.trainedCount - start.leases.trainedCount, Int(view.walNext - start.walNext),
                           "a record below walNext whose lease is not completed in the same reading")
            let s = await ingest.snapshot()
            XCTAssertEqual(s.groupsTaken + s.buffered, s.leasesCompleted)
            completed = s.leasesCompleted
            readings += 1
        }
        XCTAssertGreaterThan(readings, 10)
        var accepted = 0
        for t in submitters { accepted += try await t.value }
        XCTAssertEqual(accepted, 4 * 8 * 16, "every valid group should be accepted")
        let taken = await trainer.value
        XCTAssertEqual(taken, 60)
        let s = await ingest.snapshot()
        XCTAssertEqual(s.leasesCompleted - start.leases.trainedCount, accepted)
        XCTAssertEqual(s.buffered, accepted - taken)
        await ingest.shutdown()
    }
}
