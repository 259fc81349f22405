// The worker registry as a plain value with the time passed in: ids are never reused, an id is
// bound to the token that registered it, a request refreshes the idle timer, and the /status
// figures follow leases and submissions.

import XCTest
@testable import Learner

final class WorkerRegistryTests: XCTestCase {
    func testIdsTokensAndIdleLimit() {
        var r = WorkerRegistry(nextID: 7, idleLimit: 100)
        let a = r.register(name: "a", address: "x", token: "secret", now: 0)
        let b = r.register(name: "b", address: "y", token: nil, now: 0)
        XCTAssertEqual([a, b], [7, 8])
        XCTAssertTrue(r.authenticate(a, token: "secret", now: 50))
        XCTAssertFalse(r.authenticate(a, token: "other", now: 50), "another token must not use the id")
        XCTAssertFalse(r.authenticate(a, token: nil, now: 50))
        XCTAssertTrue(r.authenticate(b, token: nil, now: 50))
        XCTAssertFalse(r.authenticate(99, token: nil, now: 50), "never issued")
        XCTAssertFalse(r.isIdle(a, now: 150), "seen at 50: within the limit at 150")
        XCTAssertTrue(r.isIdle(a, now: 150.5))
        r.touch(a, version: 3, now: 150.5)
        XCTAssertFalse(r.isIdle(a, now: 200))
        XCTAssertEqual(r.workers[a]?.versionInUse, 3)
        r.remove(a)
        XCTAssertFalse(r.authenticate(a, token: "secret", now: 200), "after goodbye")
        XCTAssertFalse(r.isIdle(a, now: 1e9), "a removed id is not idle, it is gone")
        XCTAssertEqual(r.register(name: "c", address: "z", token: nil, now: 0), 9, "ids are never reused")
    }

    func testStatusFigures() {
        var r = WorkerRegistry(nextID: 1, idleLimit: 10)
        let a = r.register(name: "a", address: "x", token: nil, now: 0)
        r.leasesHeld(a, 3)
        r.leasesHeld(a, -1)
        r.submitted(a)
        r.leasesHeld(42, 5)   // unknown ids are ignored
        XCTAssertEqual(r.workers[a]?.leasesHeld, 2)
        XCTAssertEqual(r.workers[a]?.groupsSubmitted, 1)
        XCTAssertEqual(r.workers.count, 1)
    }

    func testSameDigestComparesEveryByte() {
        XCTAssertTrue(sameDigest([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(sameDigest([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(sameDigest([1, 2], [1, 2, 3]))
    }
}
