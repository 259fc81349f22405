// GRPO-Guard's ratio normalisation (GRPOGuard.swift) on hand-computed values, alone and in the kernel.
import XCTest
import Foundation
@testable import Objectives

final class GRPOGuardTests: XCTestCase {
    func testGuardCentresTheRatiosBeforeTheClip() throws {
        XCTAssertEqual(guardRatioShift(detachedLogRatios: [0.1, 0.3, 9], keep: [1, 1, 0]), 0.2, accuracy: 1e-12)
        let cfg = try ObjectiveConfig.preset("grpo-guard")
        // Left-shifted ratios r = e^−0.3, e^−0.1 with Â = −1: plain PPO clips the first (r < 0.8, no
        // gradient); centred on b = −0.2 both sit inside the window, x = e^∓0.1.
        let r = [exp(-0.3), exp(-0.1)]
        let plain = try oneSequence(try ObjectiveConfig.preset("grpo"), ratios: r, a: -1)
        XCTAssertEqual(plain.dLogProbs[0], 0)
        let res = try oneSequence(cfg, ratios: r, a: -1)
        let b = (log(seen(r[0])) + log(seen(r[1]))) / 2
        XCTAssertEqual(res.metrics.ratioNormShift!, b, accuracy: 1e-9)
        let x = [exp(log(seen(r[0])) - b), exp(log(seen(r[1])) - b)]
        XCTAssertEqual(res.loss, (x[0] + x[1]) / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), x[0] / 2, accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[1]), x[1] / 2, accuracy: 1e-7)
        var bad = cfg; bad.ratioLevel = .sequenceMean
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("ratio_norm needs ratio_level=token"), "\($0)") }
    }
}
