// ALP loss (ALGORITHMS.md §3.3): sequence-sum ratio with the straight-through gradient and
// dual-clip PPO with an asymmetric window; perturbation settings recorded for the policy.
import XCTest
import Policy
import Foundation
@testable import Objectives

final class ALPTests: XCTestCase {
    func testStraightThroughGradientIsOwnTokenOnly() throws {
        let cfg = try ObjectiveConfig.preset("alp")
        let res = try oneSequence(cfg, ratios: [1.1, 1.05], a: -1)   // ρ = 1.155 inside [0.8, 1.28]
        let rho = seen(1.1) * seen(1.05)
        XCTAssertEqual(res.loss, rho, accuracy: 1e-9)
        // Each token: w_t · (−Â ρ) = ½ ρ (the true gradient would be ρ).
        XCTAssertEqual(Double(res.dLogProbs[0]), rho / 2, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[1]), rho / 2, accuracy: 1e-6)
    }

    func testAsymmetricWindowAndDualClip() throws {
        let cfg = try ObjectiveConfig.preset("alp")
        let up = try oneSequence(cfg, ratios: [1.2, 1.2], a: 1)     // ρ = 1.44 > 1.28
        XCTAssertEqual(up.loss, 1.28 * -1, accuracy: 1e-6)
        XCTAssertEqual(up.dLogProbs, [0, 0])
        XCTAssertEqual(up.metrics.clipFractionHigh, 1)
        let dual = try oneSequence(cfg, ratios: [2, 2], a: -1)      // ρ = 4 > c = 3
        XCTAssertEqual(dual.loss, 3, accuracy: 1e-6)
        XCTAssertEqual(dual.metrics.dualClipFraction, 1)
        let inside = try oneSequence(cfg, ratios: [1.25], a: 1)      // inside the raised upper bound
        XCTAssertEqual(Double(inside.dLogProbs[0]), -seen(1.25), accuracy: 1e-6)
    }

    func testPresetRecordsPerturbationSettings() throws {
        let cfg = try ObjectiveConfig.preset("alp")
        XCTAssertEqual(cfg.ratioLevel, .sequenceSum)
        XCTAssertEqual(cfg.sequenceGradient, .straightThrough)
        XCTAssertEqual(cfg.alpPerturbation, ALPPerturbation(enabled: true, sigma0: 1e-3, learnable: true, perturbLR: 1e-2, seed: 0xA1F))
        XCTAssertNil(ObjectiveConfig().alpPerturbation)
        let fixed = try ObjectiveConfig.parse(name: "alp", overrides: ["alp_learnable": "false", "alp_sigma0": "0.05"])
        XCTAssertEqual(fixed.alpPerturbation?.learnable, false)
        XCTAssertEqual(fixed.alpPerturbation?.sigma0, 0.05)
    }
}
