// The published versions and their watchers as a plain value: a new watcher hears the current
// version unless it holds it already, every watcher hears each new version, the store keeps
// the last few, and finishing ends every stream.

import Rollout
import XCTest
import Wire
@testable import Learner

final class PublicationBoardTests: XCTestCase {
    private func policy(_ v: Int) -> PublishedPolicy {
        let bytes = [UInt8](repeating: UInt8(v), count: 8)
        return PublishedPolicy(version: PolicyVersion(UInt64(v)), step: v, bytes: bytes, digest: SHA256.hash(bytes))
    }

    func testWatchersHearCurrentAndNewVersions() async {
        var board = PublicationBoard(version: 0)
        board.publish(policy(1))
        let (fresh, freshC) = AsyncStream<PolicyAnnouncement>.makeStream()
        let (holder, holderC) = AsyncStream<PolicyAnnouncement>.makeStream()
        board.watch(UUID(), freshC, lastKnownVersion: nil)
        board.watch(UUID(), holderC, lastKnownVersion: 1)
        XCTAssertEqual(board.watcherCount, 2)
        board.publish(policy(2))
        XCTAssertEqual(board.version, 2)
        XCTAssertEqual(board.currentAnnouncement?.version, 2)
        board.finishAll()
        XCTAssertEqual(board.watcherCount, 0)
        var heard: [UInt64] = [], heldHeard: [UInt64] = []
        for await a in fresh { heard.append(a.version) }
        for await a in holder { heldHeard.append(a.version) }
        XCTAssertEqual(heard, [1, 2])
        XCTAssertEqual(heldHeard, [2], "a watcher holding the current version is not told it again")
    }

    func testStoreKeepsTheLastFewVersions() {
        var board = PublicationBoard(version: 0)
        for v in 1...6 { board.publish(policy(v)) }
        XCTAssertEqual(board.store.versions.map(\.version), [3, 4, 5, 6])
        XCTAssertNil(board.store.version(2))
        XCTAssertEqual(board.store.version(5)?.bytes.first, 5)
    }
}
