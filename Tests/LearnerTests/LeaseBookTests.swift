// Lease ledger: issue, expiry and re-issue, exactly-once completion, precise rejections.
import XCTest
import Foundation
@testable import Learner

final class LeaseBookTests: XCTestCase {
    func testIssueAdvancesCursorAndCompletesOnce() throws {
        var book = LeaseBook()
        let ls = book.issue(to: 1, count: 3, version: 5, now: 100, duration: 10)
        XCTAssertEqual(ls.map(\.promptIndex), [0, 1, 2])
        XCTAssertEqual(Set(ls.map(\.id)).count, 3)
        XCTAssertEqual(ls[0].deadline, 110)
        try book.complete(ls[0].id, worker: 1)
        XCTAssertThrowsError(try book.complete(ls[0].id, worker: 1)) { e in
            XCTAssertEqual(e as? LeaseRejection, .alreadyTrained(ls[0].id))
        }
        XCTAssertEqual(book.trainedCount, 1)
    }

    func testExpiredLeaseIsReissuedAndLateSubmissionRejected() throws {
        var book = LeaseBook()
        let first = book.issue(to: 1, count: 2, version: 0, now: 0, duration: 5)
        XCTAssertEqual(book.expire(now: 4).count, 0)
        let gone = book.expire(now: 6)
        XCTAssertEqual(gone.map(\.id), first.map(\.id))
        let again = book.issue(to: 2, count: 3, version: 1, now: 6, duration: 5)
        XCTAssertEqual(again.map(\.promptIndex), [0, 1, 2], "expired prompts come back first")
        XCTAssertEqual(again[0].attempt, 1)
        XCTAssertEqual(again[2].attempt, 0)
        XCTAssertThrowsError(try book.complete(first[0].id, worker: 1)) { e in
            XCTAssertEqual(e as? LeaseRejection, .expired(first[0].id))
        }
        try book.complete(again[0].id, worker: 2)
    }

    func testUnknownAndWrongWorker() throws {
        var book = LeaseBook()
        let l = book.issue(to: 1, count: 1, version: 0, now: 0, duration: 5)[0]
        XCTAssertThrowsError(try book.complete(999, worker: 1)) { XCTAssertEqual($0 as? LeaseRejection, .unknown(999)) }
        XCTAssertThrowsError(try book.complete(l.id, worker: 9)) { XCTAssertEqual($0 as? LeaseRejection, .wrongWorker(l.id, owner: 1)) }
        XCTAssertNoThrow(try book.complete(l.id, worker: nil))
    }

    func testEveryPromptTrainedExactlyOnceUnderRandomFaults() throws {
        // Random issue / expiry / duplicate / late submissions: each prompt index must be
        // completed exactly once and nothing else accepted.
        var rng = SystemRandomNumberGenerator()
        var book = LeaseBook()
        var now = 0.0
        var held: [Lease] = []
        var trainedPrompts: [Int: Int] = [:]
        var submitted: [Lease] = []
        for _ in 0..<3000 {
            now += Double.random(in: 0...1, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: held += book.issue(to: UInt64.random(in: 0..<3, using: &rng), count: 2, version: 0, now: now, duration: 3)
            case 1: book.expire(now: now)
            case 2, 3:
                guard !held.isEmpty else { continue }
                let l = held.remove(at: Int.random(in: 0..<held.count, using: &rng))
                if let ok = try? book.complete(l.id, worker: l.workerID) { trainedPrompts[ok.promptIndex, default: 0] += 1 }
                submitted.append(l)
            default:
                guard let l = submitted.randomElement(using: &rng) else { continue }   // duplicate / late
                XCTAssertThrowsError(try book.complete(l.id, worker: l.workerID))
            }
        }
        XCTAssertTrue(trainedPrompts.values.allSatisfy { $0 == 1 }, "a prompt was trained twice")
        XCTAssertEqual(trainedPrompts.count, book.trainedCount)
    }

    func testCodableRoundTrip() throws {
        var book = LeaseBook()
        let l = book.issue(to: 1, count: 2, version: 3, now: 0, duration: 5)
        try book.complete(l[0].id, worker: 1)
        let data = try JSONEncoder().encode(book)
        var back = try JSONDecoder().decode(LeaseBook.self, from: data)
        XCTAssertEqual(back, book)
        XCTAssertThrowsError(try back.complete(l[0].id, worker: 1)) { XCTAssertEqual($0 as? LeaseRejection, .alreadyTrained(l[0].id)) }
    }
}

final class LeaseBookRestoreTests: XCTestCase {
    /// A group logged for a lease issued after the restored checkpoint: counted as trained once,
    /// its prompt never issued again, and new lease ids never collide with pre-crash ones.
    func testReplayOfLeasesIssuedAfterTheCheckpoint() throws {
        var book = LeaseBook()
        _ = book.issue(to: 1, count: 2, version: 0, now: 0, duration: 10)          // prompts 0, 1 (in the checkpoint)
        let checkpoint = book
        let later = book.issue(to: 1, count: 3, version: 0, now: 1, duration: 10)  // prompts 2, 3, 4 (lost in a crash)
        var restored = checkpoint
        restored.restoreLogged(leaseID: later[1].id, promptIndex: later[1].promptIndex)   // prompt 3 was logged
        restored.restoreLogged(leaseID: later[1].id, promptIndex: later[1].promptIndex)   // replayed twice: counted once
        XCTAssertEqual(restored.trainedCount, 1)
        restored.startNewEpoch()
        let next = restored.issue(to: 2, count: 4, version: 1, now: 2, duration: 10)
        XCTAssertEqual(next.map(\.promptIndex), [2, 4, 5, 6], "prompt 3 is trained already; 2 and 4 were never logged")
        XCTAssertTrue(next.allSatisfy { $0.id >= 1 << 32 }, "new lease ids start in a fresh block")
        XCTAssertThrowsError(try restored.complete(later[0].id, worker: nil)) {
            XCTAssertEqual($0 as? LeaseRejection, .unknown(later[0].id))
        }
        XCTAssertThrowsError(try restored.complete(later[1].id, worker: nil)) {
            XCTAssertEqual($0 as? LeaseRejection, .alreadyTrained(later[1].id))
        }
    }
}
