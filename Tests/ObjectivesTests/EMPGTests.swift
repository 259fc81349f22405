// EMPG (EMPG.swift): entropy-modulated token advantages by hand and in the kernel.
import XCTest
import Foundation
@testable import Objectives

final class EMPGTests: XCTestCase {
    func testEMPGAdvantagesByHand() {
        // One sequence of 3 kept tokens, Â = 2, H = [0, 1, 0.5] → Ĥ = H (span 1), k = k′ = 1, ζ = 0.1.
        let out = empgAdvantages(advantages: [2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3,
                                 k: 1, futureK: 1, zeta: 0.1)
        let raw = [1, exp(-1.0), exp(-0.5)], mean = raw.reduce(0, +) / 3
        let f = [exp(-1.0), exp(-0.5), 0], fMean = f.reduce(0, +) / 3
        for t in 0..<3 {
            XCTAssertEqual(out.advantages[t], raw[t] / mean * 2 + 0.1 * (f[t] - fMean), accuracy: 1e-7, "token \(t)")
        }
        XCTAssertEqual(out.scaleMax, 1 / mean, accuracy: 1e-7)
        XCTAssertEqual(out.scaleMin, exp(-1.0) / mean, accuracy: 1e-7)
        // Confident tokens get more than uncertain ones, for a negative advantage too (confident errors).
        let neg = empgAdvantages(advantages: [-2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3, k: 1, futureK: 1, zeta: 0)
        XCTAssertLessThan(neg.advantages[0], neg.advantages[2]); XCTAssertLessThan(neg.advantages[2], neg.advantages[1])
        XCTAssertEqual(neg.advantages.reduce(0, +) / 3, -2, accuracy: 1e-9, "g has mean 1")
    }

    func testEMPGReplacesTheAdvantageInTheKernel() throws {
        var cfg = try ObjectiveConfig.preset("empg")
        cfg.bound = .none; cfg.empgZeta = 0.1
        // At ratio 1 the unclipped term's gradient is −A_t per token, token-mean over 3 tokens.
        let res = try oneSequence(cfg, ratios: [1, 1, 1], a: 2) { $0.entropy = [0, 1, 0.5] }
        let want = empgAdvantages(advantages: [2], entropy: [0, 1, 0.5], kept: [0, 1, 2], length: 3, k: 1, futureK: 1, zeta: 0.1)
        for t in 0..<3 { XCTAssertEqual(Double(res.dLogProbs[t]), -want.advantages[t] / 3, accuracy: 1e-6) }
        XCTAssertNil(res.dEntropy, "EMPG does not differentiate the entropy")
        XCTAssertNotNil(res.metrics.empgScaleMax)
    }
}
