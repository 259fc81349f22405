// D³S dual-level down-sampling (ALGORITHMS.md §5.5): variance-maximising samples, top |Â|·H
// tokens, relaxing keep-ratio schedule.
import XCTest
@testable import Objectives

final class D3STests: XCTestCase {
    func testSchedule() {
        XCTAssertEqual(d3sKeepRatio(start: 0.5, step: 0, steps: 200), 0.5)
        XCTAssertEqual(d3sKeepRatio(start: 0.5, step: 100, steps: 200), 0.75)
        XCTAssertEqual(d3sKeepRatio(start: 0.5, step: 500, steps: 200), 1)
        XCTAssertEqual(d3sKeepRatio(start: 0.5, step: 0, steps: 0), 1)
    }

    func testVarianceMaximisingSubset() {
        // Group 0: {2, 1, 0, −1} keep 2 → the extremes {2, −1}; group 1: {0.5, 0.4, −3, 0.45} → {0.5, −3}.
        let keep = d3sSelectSamples(advantages: [2, 1, 0, -1, 0.5, 0.4, -3, 0.45],
                                    groupIDs: [0, 0, 0, 0, 1, 1, 1, 1], keepRatio: 0.5)
        XCTAssertEqual(keep, [true, false, false, true, true, false, true, false])
        XCTAssertEqual(d3sSelectSamples(advantages: [1, 2, 3], groupIDs: [0, 0, 0], keepRatio: 1), [true, true, true])
    }

    func testTokenSelectionByAdvantageTimesEntropy() throws {
        var cfg = ObjectiveConfig(); cfg.d3sTokenKeep = 0.5
        // Sequence 0 (Â = 1) entropies 0.1, 2; sequence 1 (Â = −3) entropies 0.5, 0.2 → scores 0.1, 2, 1.5, 0.6.
        var b = TokenBatch(count: 2, length: 2, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 1], advantages: [1, -3])
        b.entropy = [0.1, 2, 0.5, 0.2]
        let res = try surrogateLoss(cfg, batch: b, logProbs: [0, 0, 0, 0])
        XCTAssertEqual(res.effectiveMask, [0, 1, 1, 0])
        XCTAssertEqual(res.loss, (-1 + 3) / 2.0, accuracy: 1e-12)
        var st = ObjectiveState(config: cfg); st.step = 200
        XCTAssertEqual(try objectiveLoss(cfg, state: st, batch: b, logProbs: [0, 0, 0, 0]).effectiveMask, [1, 1, 1, 1])
    }

    func testPresetSampleLevelInKernel() throws {
        var cfg = try ObjectiveConfig.preset("d3s"); cfg.d3sTokenKeep = nil
        var b = TokenBatch(count: 4, length: 1, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 1], advantages: [2, 1, 0, -1])
        b.groupIDs = [0, 0, 0, 0]
        let res = try surrogateLoss(cfg, batch: b, logProbs: [0, 0, 0, 0])
        XCTAssertEqual(res.effectiveMask, [1, 0, 0, 1])
        XCTAssertEqual(res.metrics.d3sSampleKeep, 0.5)
        XCTAssertEqual(res.metrics.maskedFraction, 0.5)
    }
}
