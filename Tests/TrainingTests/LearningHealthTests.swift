// LearningHealth driven by sequences of step results (no clocks): N batches in a row without
// reward signal are reported once per streak with the cause the samples point to, a batch with
// signal resets the streak, and a drop of held-out accuracy by more than the threshold from its
// best is a collapse; each stops training only when configured to.

import XCTest
@testable import Training

final class LearningHealthTests: XCTestCase {
    /// A batch of `groups` groups of 4 samples; `signal` gives one group a contrast.
    private func batch(groups: Int = 4, reward: Double = 0, correct: Bool = false, signal: Bool = false) -> BatchSignal {
        BatchSignal(groups: (0..<groups).map { g in
            (0..<4).map { k in
                signal && g == 0 && k == 0 ? (reward: 1 - reward, correct: !correct) : (reward: reward, correct: correct)
            }
        })
    }

    private func settings(_ n: Int, stop: Bool = true, drop: Double = 0.15, stopOnCollapse: Bool = true) -> HealthSettings {
        HealthSettings(noSignalBatches: n, stopOnNoSignal: stop, collapseDrop: drop, stopOnCollapse: stopOnCollapse)
    }

    func testBatchSignalCountsGroupsWithRewardVariance() {
        let b = BatchSignal(groups: [[(0, false), (0, false)], [(1, true), (0, false)], [(0.5, false), (0.5, false)]])
        XCTAssertEqual(b.groups, 3)
        XCTAssertEqual(b.groupsWithSignal, 1)
        XCTAssertEqual(b.samples, 6)
        XCTAssertEqual(b.correct, 1)
        XCTAssertEqual(b.rewardMin, 0)
        XCTAssertEqual(b.rewardMax, 1)
        XCTAssertTrue(b.hasSignal)
        XCTAssertFalse(batch().hasSignal)
        XCTAssertTrue(batch(signal: true).hasSignal)
    }

    func testNBatchesWithoutSignalInARowAreReportedAndStop() throws {
        var h = LearningHealth(settings: settings(3))
        XCTAssertNil(h.record(batch(), step: 1))
        XCTAssertNil(h.record(batch(), step: 2))
        XCTAssertNil(h.record(batch(signal: true), step: 3), "a batch with signal resets the streak")
        XCTAssertEqual(h.batchesWithoutSignal, 0)
        XCTAssertNil(h.record(batch(), step: 4))
        XCTAssertNil(h.record(batch(), step: 5))
        XCTAssertFalse(h.shouldStop)
        let p = try XCTUnwrap(h.record(batch(), step: 6), "the third batch in a row without signal")
        XCTAssertEqual(p.kind, .noSignal)
        XCTAssertEqual(p.step, 6)
        XCTAssertTrue(p.stops)
        XCTAssertTrue(h.shouldStop)
        XCTAssertEqual(h.stopProblem, p)
        XCTAssertEqual(h.report.problem, p)
        XCTAssertEqual(h.report.batchesWithoutSignal, 3)
        XCTAssertTrue(p.message.contains("last 3 batches (12 groups, 48 samples)"), p.message)
        XCTAssertTrue(p.message.contains("never solves the task"), p.message)
        XCTAssertTrue(p.message.contains("pretrain longer"), p.message)
    }

    func testTheMessageNamesWhatTheSamplesHadInCommon() throws {
        var solved = LearningHealth(settings: settings(2))
        _ = solved.record(batch(reward: 1, correct: true), step: 1)
        let always = try XCTUnwrap(solved.record(batch(reward: 1, correct: true), step: 2))
        XCTAssertTrue(always.message.contains("always solves"), always.message)
        XCTAssertFalse(always.message.contains("never solves"), always.message)

        // Some prompts always solved, others never: no group has a contrast.
        var mixed = LearningHealth(settings: settings(2))
        _ = mixed.record(BatchSignal(groups: [[(1, true), (1, true)], [(0, false), (0, false)]]), step: 1)
        let split = try XCTUnwrap(mixed.record(BatchSignal(groups: [[(0, false), (0, false)], [(0, false), (0, false)]]), step: 2))
        XCTAssertTrue(split.message.contains("25% of the samples were correct"), split.message)
        XCTAssertTrue(split.message.contains("rollout.temperature"), split.message)
    }

    func testWarnOnlyReportsOncePerStreakAndClearsWhenSignalReturns() throws {
        var h = LearningHealth(settings: settings(2, stop: false))
        XCTAssertNil(h.record(batch(), step: 1))
        let p = try XCTUnwrap(h.record(batch(), step: 2))
        XCTAssertFalse(p.stops)
        XCTAssertFalse(h.shouldStop, "stop_on_no_signal = false only warns")
        for s in 3...10 { XCTAssertNil(h.record(batch(), step: s), "reported once per streak (step \(s))") }
        XCTAssertEqual(h.batchesWithoutSignal, 10)
        XCTAssertNotNil(h.report.problem)
        XCTAssertNil(h.record(batch(signal: true), step: 11))
        XCTAssertNil(h.report.problem, "signal is back")
        XCTAssertNil(h.record(batch(), step: 12))
        XCTAssertEqual(try XCTUnwrap(h.record(batch(), step: 13)).step, 13, "a new streak is reported again")
    }

    func testZeroDisablesEachCheck() {
        var h = LearningHealth(settings: settings(0, drop: 0))
        for s in 1...1000 { XCTAssertNil(h.record(batch(), step: s)) }
        XCTAssertNil(h.record(evalAccuracy: 0.9, step: 1000))
        XCTAssertNil(h.record(evalAccuracy: 0.0, step: 1010))
        XCTAssertFalse(h.shouldStop)
        XCTAssertEqual(h.batchesWithoutSignal, 1000)
    }

    func testACollapseFromTheBestIsReportedOnce() throws {
        var h = LearningHealth(settings: settings(50, drop: 0.15, stopOnCollapse: false))
        XCTAssertNil(h.record(evalAccuracy: 0.30, step: 0))
        XCTAssertNil(h.record(evalAccuracy: 0.45, step: 10))
        XCTAssertNil(h.record(evalAccuracy: 0.31, step: 20), "14 points below the best: within the threshold")
        let p = try XCTUnwrap(h.record(evalAccuracy: 0.20, step: 30))
        XCTAssertEqual(p.kind, .collapse)
        XCTAssertEqual(p.step, 30)
        XCTAssertFalse(p.stops)
        XCTAssertFalse(h.shouldStop)
        XCTAssertTrue(p.message.contains("20.0% at step 30, down from its best 45.0% at step 10"), p.message)
        XCTAssertTrue(p.message.contains("lower the learning rate"), p.message)
        XCTAssertNil(h.record(evalAccuracy: 0.05, step: 40), "reported once")
        XCTAssertEqual(h.report.bestEvalAccuracy, 0.45)
        XCTAssertEqual(h.report.bestEvalStep, 10)
        XCTAssertNil(h.record(evalAccuracy: 0.40, step: 50), "recovered within the threshold")
        XCTAssertNil(h.report.problem)
    }

    func testACollapseStopsWhenConfigured() throws {
        var h = LearningHealth(settings: settings(50, drop: 0.15, stopOnCollapse: true))
        _ = h.record(evalAccuracy: 0.30, step: 0)
        _ = h.record(evalAccuracy: 0.126, step: 20)
        XCTAssertTrue(h.shouldStop, "30 % → 12.6 % (issue 13's JSONL run) is a collapse")
        XCTAssertEqual(h.stopProblem?.kind, .collapse)
        _ = h.record(evalAccuracy: 0.3, step: 30)
        XCTAssertTrue(h.shouldStop, "a stop stays a stop")
        XCTAssertFalse(h.record(evalAccuracy: .nan, step: 40) != nil)
    }
}
