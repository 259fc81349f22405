// EPO (EPO.swift): phase coefficients, the smoothing penalty, its place in the kernel and its history.
import XCTest
import Foundation
@testable import Objectives

final class EPOTests: XCTestCase {
    func testEPOPhaseCoefficientsAndPenalty() throws {
        XCTAssertEqual(epoPhase(step: 50, phaseSteps: 200), 0.25)
        XCTAssertEqual(epoPhase(step: 500, phaseSteps: 200), 1)
        XCTAssertEqual(epoPhase(step: 50, phaseSteps: nil), 1)
        let c = try ObjectiveConfig.preset("epo")
        let (bonus, smoothing) = epoCoefficients(c, step: 50)
        XCTAssertEqual(bonus, Double(Float(0.01)) * 0.75, accuracy: 1e-12)
        XCTAssertEqual(smoothing, 0.25, accuracy: 1e-12)
        // H_B = 1.5, H̄ = 1, κ = 0.2: d = 0.5 − 0.2 = 0.3, λd² = 2·0.09, dλd²/dH_B = 2·2·0.3.
        let p = epoSmoothingPenalty(batchEntropy: 1.5, history: 1, band: 0.2, weight: 2)
        XCTAssertEqual(p.value, 0.18, accuracy: 1e-12)
        XCTAssertEqual(p.dBatchEntropy, 1.2, accuracy: 1e-12)
        let below = epoSmoothingPenalty(batchEntropy: 0.5, history: 1, band: 0.2, weight: 2)
        XCTAssertEqual(below.dBatchEntropy, -1.2, accuracy: 1e-12)
        XCTAssertEqual(epoSmoothingPenalty(batchEntropy: 1.1, history: 1, band: 0.2, weight: 2).value, 0, "inside the band")
        XCTAssertEqual(epoHistoryUpdate(nil, batchEntropy: 1.5, decay: 0.9), 1.5)
        XCTAssertEqual(epoHistoryUpdate(1, batchEntropy: 1.5, decay: 0.9), 1.05, accuracy: 1e-12)
    }

    func testEPOInTheKernelAndItsState() throws {
        var cfg = try ObjectiveConfig.preset("epo")
        cfg.epoBand = 0.2; cfg.epoSmoothing = 1; cfg.epoPhaseSteps = 200
        var state = ObjectiveState(config: cfg)
        state.step = 100; state.entropyHistory = 1   // α = 0.5: bonus 0.005, smoothing weight 0.5
        let res = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [1, 2] }
        // H_B = 1.5, d = 0.3: loss = −0.005·1.5 + 0.5·0.09; dH_t = −0.005·½ + 2·0.5·0.3·½.
        let c = Double(Float(0.01)) * 0.5
        XCTAssertEqual(res.loss, -c * 1.5 + 0.045, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dEntropy![0]), -c / 2 + 0.15, accuracy: 1e-7)
        XCTAssertEqual(res.dEntropy![0], res.dEntropy![1])
        XCTAssertEqual(res.metrics.epoSmoothingPenalty!, 0.045, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.entropyAggregated!, 1.5, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.epoEntropyHistory, 1)
        state.update(afterStep: res, config: cfg)
        XCTAssertEqual(state.entropyHistory!, 1.05, accuracy: 1e-7)  // β = Float(0.9)
        XCTAssertEqual(state.step, 101)
        // First step: no history yet, so no smoothing term; the history starts at H_B.
        var fresh = ObjectiveState(config: cfg)
        let first = try oneSequence(cfg, ratios: [1, 1], a: 0, state: fresh) { $0.entropy = [1, 2] }
        XCTAssertNil(first.metrics.epoSmoothingPenalty)
        XCTAssertEqual(first.loss, -Double(Float(0.01)) * 1.5, accuracy: 1e-7)
        fresh.update(afterStep: first, config: cfg)
        XCTAssertEqual(fresh.entropyHistory!, 1.5, accuracy: 1e-9)
    }
}
