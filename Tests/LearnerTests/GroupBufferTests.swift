// The group buffer and batch hand-out as a plain value (no actor, no waiting): groups come out
// oldest first, the hand-out counts what training took, dynamic sampling takes every group it
// looks at and gives up after a run without signal, and the lease allowance follows capacity
// (async) or one batch per version (sync).

import Rollout
import Training
import XCTest
import Objectives
@testable import Learner

final class GroupBufferTests: XCTestCase {
    /// A buffered group for prompt `p` whose samples all have reward `r` (signal iff rewards differ).
    private func group(_ p: Int, rewards: [Float] = [0, 1]) -> BufferedGroup {
        BufferedGroup(sequence: UInt64(p), group: RolloutGroup(promptIndex: p, prompt: [1], version: 0, samples: rewards.map {
            ScoredSample(tokens: [1], logProbs: [-0.5], reward: $0, correct: $0 > 0, finish: .end) }))
    }

    func testTakesOldestFirstAndCountsTaken() {
        var b = GroupBuffer(capacity: 4, sync: false, groupsPerStep: 2, taken: 10)
        for p in 0..<3 { b.append(group(p)) }
        XCTAssertEqual(b.take(2).map(\.group.promptIndex), [0, 1])
        XCTAssertEqual(b.taken, 12)
        XCTAssertEqual(b.groups.map(\.group.promptIndex), [2])
        XCTAssertEqual(b.take(5).map(\.group.promptIndex), [2], "asking for more than there is takes what there is")
        XCTAssertEqual(b.taken, 13)
        XCTAssertFalse(b.batchInTraining, "async mode never stops leasing for a batch")
    }

    func testCapacityBoundsRoomAndLeases() {
        var b = GroupBuffer(capacity: 3, sync: false, groupsPerStep: 2)
        XCTAssertEqual(b.leasable(8, outstanding: 1, workerVersion: nil, version: 0), 2)
        b.append(group(0)); b.append(group(1))
        XCTAssertEqual(b.room, 1)
        XCTAssertEqual(b.leasable(8, outstanding: 1, workerVersion: nil, version: 0), 0)
        b.append(group(2))
        XCTAssertTrue(b.isFull)
        XCTAssertEqual(b.room, 1, "a submission round always moves at least one group")
        XCTAssertEqual(b.leasable(8, outstanding: 0, workerVersion: 5, version: 0), 0)
    }

    func testSyncModeLeasesOneBatchPerVersion() {
        var b = GroupBuffer(capacity: 64, sync: true, groupsPerStep: 2)
        XCTAssertEqual(b.leasable(8, outstanding: 0, workerVersion: 3, version: 3), 2)
        XCTAssertEqual(b.leasable(8, outstanding: 0, workerVersion: 2, version: 3), 0, "a worker on an old version gets nothing")
        XCTAssertFalse(b.worthWaiting(workerVersion: 2, version: 3), "it must fetch the new version first")
        b.append(group(0))
        XCTAssertEqual(b.leasable(8, outstanding: 1, workerVersion: 3, version: 3), 0)
        b.append(group(1))
        _ = b.take(2)
        XCTAssertTrue(b.batchInTraining)
        XCTAssertEqual(b.leasable(8, outstanding: 0, workerVersion: 3, version: 3), 0, "nothing while the batch trains")
        XCTAssertTrue(b.worthWaiting(workerVersion: 2, version: 3), "the next version is coming: wait for it")
        b.batchSettled()
        XCTAssertEqual(b.leasable(8, outstanding: 0, workerVersion: 3, version: 3), 2)
    }

    func testDynamicSamplingTakesEveryGroupItLooksAt() {
        var b = GroupBuffer(capacity: 8, sync: true, groupsPerStep: 2)
        b.append(group(0, rewards: [1, 1]))
        b.append(group(1))
        b.append(group(2, rewards: [0, 0]))
        b.append(group(3))
        b.append(group(4))
        var s = BatchFill<BufferedGroup>(count: 2, dynamicSampling: true, noSignalBatches: 0)
        b.take(into: &s)
        XCTAssertEqual(s.state, .full)
        XCTAssertEqual(s.batch.map(\.group.promptIndex), [1, 3])
        XCTAssertEqual(s.filtered.map(\.group.promptIndex), [0, 2])
        XCTAssertEqual(b.groups.map(\.group.promptIndex), [4], "groups after the batch completed stay buffered")
        XCTAssertEqual(b.taken, 4, "filtered groups count as taken")
        XCTAssertTrue(b.batchInTraining, "a complete batch stops sync leasing")
    }

    func testDynamicSamplingAcrossRoundsAndGivingUp() {
        var b = GroupBuffer(capacity: 8, sync: true, groupsPerStep: 2)
        b.append(group(0))
        var s = BatchFill<BufferedGroup>(count: 2, dynamicSampling: true, noSignalBatches: 0)
        b.take(into: &s)
        XCTAssertEqual(s.state, .needMore)
        XCTAssertFalse(b.batchInTraining, "an incomplete batch keeps sync leasing going")
        b.append(group(1))
        b.take(into: &s)
        XCTAssertEqual(s.batch.map(\.group.promptIndex), [0, 1])

        var flat = GroupBuffer(capacity: 8, sync: false, groupsPerStep: 2)
        for p in 0..<5 { flat.append(group(p, rewards: [1, 1])) }
        var g = BatchFill<BufferedGroup>(count: 2, dynamicSampling: true, noSignalBatches: 2)   // gives up after 2 × 2
        flat.take(into: &g)
        XCTAssertEqual(g.state, .gaveUp)
        XCTAssertEqual(g.batch.count, 0)
        XCTAssertEqual(g.filtered.count, 4, "gives up after exactly no_signal_batches × count groups without signal")
        XCTAssertEqual(flat.count, 1)
    }
}
