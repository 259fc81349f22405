// PIPO's retrospective check (PIPO.swift): the learning-rate factor from the batch's mean reward
// against the sliding window, by hand, across updates, and its panel entries. The trainer applying
// it: TrainingTests' LearningRateScaleTests.
import XCTest
import Foundation
@testable import Objectives

final class PIPOTests: XCTestCase {
    func testFactorByHand() {
        // Window 0.2, 0.4: mean 0.3, σ 0.1; r̄ = 0.5 → Δ = 0.2, factor 1 + 0.5·tanh(0.2/(0.1 + 10⁻⁶)).
        let f = pipoScale(meanReward: 0.5, history: [0.2, 0.4], beta: 0.5)
        XCTAssertEqual(f.delta!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(f.scale, 1.4820130835231031, accuracy: 1e-12)
        // A regression is suppressed symmetrically.
        XCTAssertEqual(pipoScale(meanReward: 0.1, history: [0.2, 0.4], beta: 0.5).scale, 2 - 1.4820130835231031, accuracy: 1e-12)
        // Fewer than 2 past updates: no baseline, factor 1.
        XCTAssertNil(pipoScale(meanReward: 0.9, history: [0.1], beta: 0.5).delta)
        XCTAssertEqual(pipoScale(meanReward: 0.9, history: [], beta: 0.5).scale, 1)
        // A flat window: any change saturates the factor at 1 ± β, no change leaves it at 1.
        XCTAssertEqual(pipoScale(meanReward: 0.5, history: [0.25, 0.25], beta: 0.3).scale, 1.3, accuracy: 1e-9)
        XCTAssertEqual(pipoScale(meanReward: 0.25, history: [0.25, 0.25], beta: 0.3).scale, 1)
    }

    /// Five updates with window 3: the factor each update gets and the window it leaves behind.
    func testSlidingWindowAcrossUpdates() throws {
        let cfg = try ObjectiveConfig.parse(name: "pipo", overrides: ["pipo_window": "3"])
        XCTAssertEqual(cfg.pipoBeta, 0.5)
        var state = ObjectiveState(config: cfg)
        let rewards = [0.1, 0.3, 0.2, 0.6, 0.2]
        // Hand values: updates 1–2 have < 2 past rewards; 3: Δ = 0.2 − 0.2 = 0; 4: window 0.1, 0.3, 0.2
        // (mean 0.2, σ = √(0.02/3)), Δ = 0.4; 5: window 0.3, 0.2, 0.6 (mean 0.3667, σ = 0.16997), Δ = −0.1667.
        let expected: [(delta: Double?, scale: Double)] = [
            (nil, 1), (nil, 1), (0, 1), (0.4, 1.499944431526595), (-0.16666666666666669, 0.6233426652921741),
        ]
        let windows: [[Double]] = [[0.1], [0.1, 0.3], [0.1, 0.3, 0.2], [0.3, 0.2, 0.6], [0.2, 0.6, 0.2]]
        for (k, r) in rewards.enumerated() {
            let s = cfg.learningRateScale(state: state, meanReward: r)
            if let d = expected[k].delta { XCTAssertEqual(s.pipoDelta!, d, accuracy: 1e-12, "update \(k)") } else {
                XCTAssertNil(s.pipoDelta, "update \(k)")
            }
            XCTAssertEqual(s.pipoScale!, expected[k].scale, accuracy: 1e-9, "update \(k)")
            XCTAssertEqual(s.value, s.pipoScale!, "PIPO alone: the product is its factor")
            XCTAssertNil(s.oblrScale)
            state.update(afterUpdate: UpdateObservation(meanReward: r), config: cfg)
            XCTAssertEqual(state.pipoHistory!.count, windows[k].count)
            for (a, b) in zip(state.pipoHistory!, windows[k]) { XCTAssertEqual(a, b, accuracy: 1e-12, "update \(k)") }
        }
        // An update without rewards leaves the window alone and is not scaled.
        let before = state
        XCTAssertEqual(cfg.learningRateScale(state: state, meanReward: nil).value, 1)
        state.update(afterUpdate: UpdateObservation(), config: cfg)
        XCTAssertEqual(state, before)
        XCTAssertEqual(try JSONDecoder().decode(ObjectiveState.self, from: JSONEncoder().encode(state)), state)
    }

    /// The kernel's loss and gradient are GRPO's; the factor's parts reach the flat panel.
    func testKernelIsGRPOAndPanelKeys() throws {
        let (batch, lp) = randomBatch(seed: 31)
        let pipo = try surrogateLoss(try .preset("pipo"), batch: batch, logProbs: lp)
        let grpo = try surrogateLoss(try .preset("grpo"), batch: batch, logProbs: lp)
        XCTAssertEqual(pipo.loss, grpo.loss)
        XCTAssertEqual(pipo.dLogProbs, grpo.dLogProbs)
        var state = ObjectiveState(config: try .preset("pipo")); state.pipoHistory = [0.2, 0.4]
        var m = pipo.metrics
        try ObjectiveConfig.preset("pipo").learningRateScale(state: state, meanReward: 0.5).fill(&m)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(m)) as? [String: Any])
        XCTAssertEqual(obj["pipo_delta"] as? Double ?? 0, 0.2, accuracy: 1e-12)
        XCTAssertEqual(obj["pipo_scale"] as? Double ?? 0, 1.4820130835231031, accuracy: 1e-12)
        XCTAssertEqual(obj["lr_scale"] as? Double ?? 0, 1.4820130835231031, accuracy: 1e-12)
        XCTAssertNil(obj["oblr_snr"])
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "pipo", overrides: ["pipo_beta": "1"]))
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "pipo", overrides: ["pipo_window": "1"]))
    }
}
