// JobThread: jobs run one at a time in submission order on the named thread,
// waitUntilIdle returns only after every queued job ran, and a closed thread refuses jobs.

import Foundation
import XCTest
import Tensor

final class JobThreadTests: XCTestCase {
    func testJobsRunInOrderOnTheJobThreadAndIdleWaitsForThem() {
        let thread = JobThread(name: "trib-test")
        let lock = NSLock()
        var seen: [Int] = []
        var onThread: Set<Bool> = []
        for i in 0..<100 {
            XCTAssertTrue(thread.submit {
                if i == 0 { usleep(20_000) }   // later jobs queue up behind a slow one
                lock.withLock { seen.append(i); onThread.insert(thread.isCurrent) }
            })
        }
        thread.waitUntilIdle()
        XCTAssertEqual(lock.withLock { seen }, Array(0..<100))
        XCTAssertEqual(lock.withLock { onThread }, [true], "every job ran on the job thread")
        XCTAssertFalse(thread.isCurrent, "the caller is not the job thread")
        thread.close()
        XCTAssertFalse(thread.submit { XCTFail("a closed thread ran a job") })
        thread.waitUntilIdle()
    }
}
