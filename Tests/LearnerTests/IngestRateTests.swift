// The ingest rates of /status (issue 14: they read 0 during ingest): accepted groups and
// bytes per second over a sliding 10 s window on the ingest actor's clock (manual here).

import Foundation
import XCTest
import Wire
@testable import Learner

final class IngestRateTests: XCTestCase {
    func testSlidingWindow() {
        var r = IngestRate()
        r.add(groups: 5, bytes: 500, at: 100.2)
        r.add(groups: 5, bytes: 1500, at: 101.5)
        XCTAssertEqual(r.perSecond(at: 102).groups, 1.0, accuracy: 1e-12)       // 10 groups / 10 s
        XCTAssertEqual(r.perSecond(at: 102).bytes, 200.0, accuracy: 1e-12)
        XCTAssertEqual(r.perSecond(at: 110.9).groups, 0.5, accuracy: 1e-12, "second 100 left the window")
        XCTAssertEqual(r.perSecond(at: 111.0).groups, 0.0, accuracy: 1e-12, "both seconds left the window")
    }

    /// Through the ingest actor: groups accepted now show in the snapshot, and fade after 10 s.
    func testSnapshotReportsRecentIngest() async throws {
        let h = try await CrashHarness(label: "rate", test: self)
        let w = await h.register()
        let units = await h.lease(worker: w, count: 4)
        let acks = try await h.submit(units, worker: w)
        XCTAssertEqual(acks, Array(repeating: .accepted, count: 4))
        let during = await h.ingest.snapshot()
        XCTAssertEqual(during.groupsPerSecond, 0.4, accuracy: 1e-12, "4 groups in the 10 s window")
        XCTAssertEqual(during.bytesPerSecond, Double(during.counters.bytesReceived) / 10, accuracy: 1e-9)
        XCTAssertGreaterThan(during.bytesPerSecond, 0)
        h.clock.advance(11)
        let later = await h.ingest.snapshot()
        XCTAssertEqual(later.groupsPerSecond, 0)
    }
}
