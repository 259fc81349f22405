// Calibration metrics (Calibration.swift) on hand-computed values.
import XCTest
import Foundation
@testable import Objectives

final class CalibrationMetricsTests: XCTestCase {
    func testAUCAndECEByHand() {
        // Correct at 0.9 and 0.4, incorrect at 0.6 and 0.4: pairs (0.9>0.6) 1, (0.9>0.4) 1,
        // (0.4<0.6) 0, (0.4=0.4) ½ → AUC = 2.5/4.
        let m = CalibrationMetrics(confidence: [0.9, 0.4, 0.6, 0.4], correct: [true, true, false, false], bins: 10)
        XCTAssertEqual(m.auc!, 0.625, accuracy: 1e-12)
        // Bins: [0.9] acc 1 conf 0.9; [0.6] acc 0 conf 0.6; [0.4, 0.4] acc ½ conf 0.4.
        XCTAssertEqual(m.ece, 0.25 * 0.1 + 0.25 * 0.6 + 0.5 * 0.1, accuracy: 1e-12)
        XCTAssertEqual(m.count, 4)
        // Perfect ranking and calibration at the extremes.
        let p = CalibrationMetrics(confidence: [1, 1, 0], correct: [true, true, false])
        XCTAssertEqual(p.auc, 1); XCTAssertEqual(p.ece, 0)
        XCTAssertNil(CalibrationMetrics(confidence: [0.3, 0.5], correct: [true, true]).auc, "no incorrect answers")
    }

    func testSequenceConfidence() {
        XCTAssertEqual(sequenceConfidence(logProbs: [log(0.5), log(0.5)]), 0.25, accuracy: 1e-7)
        XCTAssertEqual(sequenceConfidence(logProbs: [log(0.5), log(0.5)], perToken: true), 0.5, accuracy: 1e-7)
    }
}
