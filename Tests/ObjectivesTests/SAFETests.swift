// SAFE (SAFE.swift): the PID controller by hand, its phases, and its coefficient on the k3 KL term.
import XCTest
import Foundation
@testable import Objectives

final class SAFETests: XCTestCase {
    func testSAFEControllerByHand() throws {
        let cfg = try ObjectiveConfig.preset("safe")
        var s = SAFEState()
        s.update(kl: 0.5, entropy: 0.9, reward: 0.2, config: cfg)
        // KL_s = 0.05; first reward: no PID output; warm-up ×1.5: τ = 0.45; gate = 2/(0.9 + 0.1) = 2.
        XCTAssertEqual(s.klShort, 0.05, accuracy: 1e-12)
        XCTAssertEqual(s.threshold, Double(Float(0.3)) * 1.5, accuracy: 1e-9)
        XCTAssertEqual(s.gate, 2, accuracy: 1e-12)
        XCTAssertEqual(s.coefficient, 0, "KL_s below τ")
        s.klShort = 0.9
        s.update(kl: 1, entropy: 0.9, reward: 0.4, config: cfg)
        // KL_s = 0.91; r̄: 0.2 → 0.21, e = 0.01 − 0.001 = 0.009; u = 0.3e + 0.01e + 0.05e.
        let e = 0.009, u = Double(Float(0.3)) * e + Double(Float(0.01)) * e + Double(Float(0.05)) * e
        let tau = (Double(Float(0.3)) + u) * 1.5
        XCTAssertEqual(s.klShort, 0.91, accuracy: 1e-12)
        XCTAssertEqual(s.integral, e, accuracy: 1e-12)
        XCTAssertEqual(s.threshold, tau, accuracy: 1e-9)
        XCTAssertEqual(s.coefficient, 2 * Double(Float(0.1)) * (0.91 - tau) * 2, accuracy: 1e-9)
    }

    func testSAFEPhases() {
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.5, count: 49)).phase, 0)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.5, count: 50) + Array(repeating: 0.6, count: 50)).multiplier, 1.2)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.8, count: 100)).phase, 3)
        XCTAssertEqual(SAFEState.phase(Array(repeating: 0.3, count: 60)).multiplier, 0.8)
    }

    func testSAFECoefficientDrivesTheKLTermAndTheStateUpdates() throws {
        let cfg = try ObjectiveConfig.preset("safe")
        var state = ObjectiveState(config: cfg)
        var s = SAFEState(); s.coefficient = 0.5
        state.safe = s
        var b = TokenBatch(count: 1, length: 1, behaviourLogProbs: [log(0.5)], mask: [1], advantages: [0])
        b.referenceLogProbs = [log(0.6)]; b.entropy = [1]; b.rewards = [1]
        let res = try objectiveLoss(cfg, state: state, batch: b, logProbs: [log(0.5)])
        let d = Double(Float(log(0.6))) - Double(Float(log(0.5)))
        XCTAssertEqual(res.metrics.klReferenceTerm, 0.5 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(Double(res.dLogProbs[0]), 0.5 * (1 - exp(d)), accuracy: 1e-7)
        XCTAssertEqual(res.metrics.safeKLCoef, 0.5); XCTAssertEqual(res.metrics.rewardMean, 1)
        state.update(afterStep: res, config: cfg)
        XCTAssertEqual(state.safe!.klShort, 0.1 * (exp(d) - d - 1), accuracy: 1e-7)
        XCTAssertEqual(state.safe!.rewards, [1])
        b.referenceLogProbs = nil
        XCTAssertThrowsError(try objectiveLoss(cfg, state: state, batch: b, logProbs: [log(0.5)])) { e in
            XCTAssertTrue("\(e)".contains("reference_logprobs (safe"), "\(e)")
        }
    }
}
