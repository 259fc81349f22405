// AReaL decoupled PPO (ALGORITHMS.md §4.10): version interpolation of π_prox and the
// detached behaviour weight.
import XCTest
import Foundation
@testable import Objectives

final class AReaLTests: XCTestCase {
    func testInterpolationWeights() throws {
        let a = try proximalInterpolationWeights(versions: [10, 8, 6], proximal: 10, theta: 11)
        XCTAssertEqual(a[0], 0); XCTAssertEqual(a[1], 2.0 / 3, accuracy: 1e-12); XCTAssertEqual(a[2], 0.8, accuracy: 1e-12)
        XCTAssertThrowsError(try proximalInterpolationWeights(versions: [12], proximal: 10, theta: 11)) { e in
            XCTAssertTrue("\(e)".contains("v_b[0] = 12"), "\(e)")
        }
    }

    func testInterpolatedEqualsSuppliedProximal() throws {
        let (batch, lp) = randomBatch(seed: 11)
        var interp = try ObjectiveConfig.preset("decoupled-ppo"); interp.maskStalenessAbove = nil
        var supplied = interp; supplied.reference = .decoupled
        var b2 = batch
        b2.proximalLogProbs = try interpolatedProximalLogProbs(batch: batch, logProbs: lp)
        let r1 = try surrogateLoss(interp, batch: batch, logProbs: lp)
        let r2 = try surrogateLoss(supplied, batch: b2, logProbs: lp)
        XCTAssertEqual(r1.loss, r2.loss, accuracy: 1e-12)
        XCTAssertEqual(r1.dLogProbs, r2.dLogProbs)
        // Fresh sequences (v_b = v) have π_prox = μ.
        for k in 0..<lp.count where batch.mask[k] != 0 && batch.versions![k / batch.length] == 10 {
            XCTAssertEqual(b2.proximalLogProbs![k], batch.behaviourLogProbs[k])
        }
    }

    func testDecoupledWeightAndProximalClip() throws {
        var cfg = try ObjectiveConfig.preset("decoupled-ppo"); cfg.reference = .decoupled; cfg.maskStalenessAbove = nil
        // μ = 1, π_prox/μ = 1.5, π_θ/π_prox = 1.1 → loss −1.5·1.1, gradient −1.5·1.1.
        let res = try oneSequence(cfg, ratios: [1.65], a: 1) { $0.proximalLogProbs = [Float(log(1.5))] }
        let w = exp(Double(Float(log(1.5)))), u = exp(Double(Float(log(1.65))) - Double(Float(log(1.5))))
        XCTAssertEqual(res.loss, -w * u, accuracy: 1e-9)
        XCTAssertEqual(Double(res.dLogProbs[0]), -w * u, accuracy: 1e-6)
        // The clip is around π_prox: u = 1.65/1.1 = 1.5 is clipped although π_θ/μ would be 1.65.
        let clipped = try oneSequence(cfg, ratios: [1.65], a: 1) { $0.proximalLogProbs = [Float(log(1.1))] }
        XCTAssertEqual(clipped.dLogProbs[0], 0)
        XCTAssertEqual(clipped.loss, -seen(1.1) * 1.2, accuracy: 1e-6)
    }
}
