// R²VPO ratio-variance penalty and dual step (ALGORITHMS.md §2.3–2.6, reconstruction).
import XCTest
import Foundation
@testable import Objectives

final class R2VPOTests: XCTestCase {
    func testCentralPenaltyLossAndGradient() throws {
        let cfg = try ObjectiveConfig.preset("r2vpo")   // λ₀ = 2.5, V_c
        let res = try oneSequence(cfg, ratios: [1.2, 1.0], a: 1)
        let (x1, x2) = (seen(1.2), seen(1.0))
        let mean = (x1 + x2) / 2
        let vc = ((x1 - mean) * (x1 - mean) + (x2 - mean) * (x2 - mean)) / 2   // ≈ 0.01
        XCTAssertEqual(res.loss, -mean + 2.5 * vc, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.variancePenalty, 2.5 * vc, accuracy: 1e-12)
        // ∂/∂log x_t: −w Â x_t + λ · 2 (x_t − x̄) x_t / M  → −0.3 and −0.75.
        XCTAssertEqual(Double(res.dLogProbs[0]), -0.5 * x1 + 2.5 * (x1 - mean) * x1, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[1]), -0.5 * x2 + 2.5 * (x2 - mean) * x2, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[0]), -0.3, accuracy: 1e-5)
        XCTAssertEqual(Double(res.dLogProbs[1]), -0.75, accuracy: 1e-5)
        XCTAssertEqual(res.metrics.lambda, 2.5)
        XCTAssertEqual(res.metrics.dualVariance!, vc, accuracy: 1e-12)
    }

    func testAboutOnePenaltyAndBrakedTokens() throws {
        let cfg = try ObjectiveConfig.parse(name: "r2vpo", overrides: ["variance": "one"])
        let res = try oneSequence(cfg, ratios: [1.2, 1.0], a: 1)
        // V_1 = (0.04 + 0)/2; token 1's effective advantage 1 − 2·2.5·0.2 = 0 (at r* = 1 + Â/2λ).
        XCTAssertEqual(res.loss, -1.1 + 2.5 * 0.02, accuracy: 1e-6)
        XCTAssertEqual(res.dLogProbs[0], 0, accuracy: 1e-5)
        XCTAssertEqual(res.dLogProbs[1], -0.5, accuracy: 1e-6)
        let far = try oneSequence(cfg, ratios: [1.5, 1.0], a: 1)  // past r* = 1.2: pulled back
        XCTAssertGreaterThan(far.dLogProbs[0], 0)
        XCTAssertEqual(far.metrics.brakedFraction, 0.5)
        XCTAssertEqual(far.metrics.clipFractionHigh, 0, "no hard clip")
    }

    /// Runs one kernel step on ratios with a known variance and applies the dual step.
    private func lambdaAfter(_ cfg: ObjectiveConfig, ratios: [Double], from state: ObjectiveState) throws -> ObjectiveState {
        var s = state
        let res = try oneSequence(cfg, ratios: ratios, a: 1, state: state)
        s.update(afterStep: res, config: cfg)
        return s
    }

    func testLambdaRisesAboveDeltaAndFallsBelowForBothRules() throws {
        for rule in ["log", "additive"] {
            let cfg = try ObjectiveConfig.parse(name: "r2vpo", overrides: ["dual_rule": rule])
            let s0 = ObjectiveState(config: cfg)
            let high = try lambdaAfter(cfg, ratios: [1.3, 0.7], from: s0)   // V_c ≈ 0.09 > δ = 0.02
            let low = try lambdaAfter(cfg, ratios: [1.05, 0.95], from: s0)  // V_c ≈ 0.0025 < δ
            XCTAssertGreaterThan(high.lambda, 2.5, rule)
            XCTAssertLessThan(low.lambda, 2.5, rule)
            XCTAssertEqual(high.step, 1)
            let v = (seen(1.3) - seen(0.7)) * (seen(1.3) - seen(0.7)) / 4
            let expected = rule == "log" ? 2.5 * exp(Double(Float(0.05)) * (v / Double(Float(0.02)) - 1))
                                         : 2.5 + Double(Float(0.05)) * (v - Double(Float(0.02)))
            XCTAssertEqual(high.lambda, expected, accuracy: 1e-9, rule)
        }
    }

    func testLambdaStaysInBoundsAndEMASmooths() throws {
        var cfg = try ObjectiveConfig.parse(name: "r2vpo", overrides: ["eta": "100", "lambda_max": "10"])
        var s = try lambdaAfter(cfg, ratios: [3, 0.2], from: ObjectiveState(config: cfg))
        XCTAssertEqual(s.lambda, 10, accuracy: 1e-9)
        s = try lambdaAfter(cfg, ratios: [1, 1], from: ObjectiveState(config: cfg))
        XCTAssertEqual(s.lambda, Double(cfg.lambdaMin), accuracy: 1e-9)

        cfg = try ObjectiveConfig.parse(name: "r2vpo", overrides: ["variance_ema": "0.5"])
        s = try lambdaAfter(cfg, ratios: [1.2, 0.8], from: ObjectiveState(config: cfg))  // V = 0.04
        XCTAssertEqual(s.varianceEMA!, (seen(1.2) - seen(0.8)) * (seen(1.2) - seen(0.8)) / 4, accuracy: 1e-12)
        let before = s.lambda
        s = try lambdaAfter(cfg, ratios: [1, 1], from: s)  // V = 0 → EMA ≈ 0.02 = δ → λ ~ unchanged
        XCTAssertEqual(s.varianceEMA!, 0.02, accuracy: 1e-6)
        XCTAssertEqual(s.lambda, before, accuracy: 1e-3)
        XCTAssertEqual(s.step, 2)
    }

    func testEmptyMaskSkipsDualStepAndStateRoundTrips() throws {
        let cfg = try ObjectiveConfig.preset("r2vpo")
        var s = ObjectiveState(config: cfg)
        let res = try oneSequence(cfg, ratios: [1.3, 0.7], a: 1) { $0.mask = [0, 0] }
        XCTAssertEqual(res.loss, 0); XCTAssertEqual(res.dLogProbs, [0, 0])
        s.update(afterStep: res, config: cfg)
        XCTAssertEqual(s.lambda, 2.5); XCTAssertEqual(s.step, 1)
        s.varianceEMA = 0.03
        XCTAssertEqual(try JSONDecoder().decode(ObjectiveState.self, from: JSONEncoder().encode(s)), s)
    }

    func testDecoupledVariantPenalisesStepMovementOnly() throws {
        // Token ratio to μ is 1.5·1.1 but to π_prox only 1.1: the variance is of u, staleness is
        // carried by the truncated weight min(π_prox/μ, ρ̄ = 1).
        var cfg = try ObjectiveConfig.preset("r2vpo-decoupled"); cfg.reference = .decoupled
        let res = try oneSequence(cfg, ratios: [1.65, 1.5], a: 1) {
            $0.proximalLogProbs = [Float(log(1.5)), Float(log(1.5))]
        }
        let u1 = exp(Double(Float(log(1.65))) - Double(Float(log(1.5))))
        XCTAssertEqual(res.metrics.ratioMax, u1, accuracy: 1e-9)
        XCTAssertEqual(res.metrics.behaviourWeightMean, 1, accuracy: 1e-12)   // truncated at ρ̄ = 1
        XCTAssertEqual(res.metrics.weightTruncatedFraction, 1)
        let mean = (u1 + 1) / 2, vc = ((u1 - mean) * (u1 - mean) + (1 - mean) * (1 - mean)) / 2
        XCTAssertEqual(res.loss, -mean + 2.5 * vc, accuracy: 1e-6)
    }
}
