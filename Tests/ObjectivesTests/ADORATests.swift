// ADORA's advantage weights (ADORA.swift) by hand, in the kernel, and its advantageous rate across steps.
import XCTest
import Foundation
@testable import Objectives

final class ADORATests: XCTestCase {
    /// Group 0: right answer 5 tokens, wrong ones 2 and 4 (mean 3) → advantageous, weight 1.
    /// Group 1: right answer 2 tokens, wrong ones 4 and 6 (mean 5) → disadvantageous, weight λ.
    /// Group 2: all advantages 0 → not categorised, weight 1.
    private let advantages: [Float] = [1, -0.5, -0.5, 1.2, -0.6, -0.6, 0, 0]
    private let groups: [Int32] = [0, 0, 0, 1, 1, 1, 2, 2]
    private let lengths = [5, 2, 4, 2, 4, 6, 3, 3]

    func testCategoriesAndWeightsByHand() {
        let out = adoraWeights(advantages: advantages, groupIDs: groups, lengths: lengths, lambda: 0.1)
        XCTAssertEqual(out.weights, [1, 1, 1, 0.1, 0.1, 0.1, 1, 1])
        XCTAssertEqual(out.categorised, 6)
        XCTAssertEqual(out.advantageous, 3)
        XCTAssertEqual(out.weightMean, (3 + 0.3) / 6, accuracy: 1e-12)
        // A tie (longest right = mean wrong) is not an advantage; only-wrong groups are
        // disadvantageous, only-right groups advantageous.
        let edge = adoraWeights(advantages: [1, -1, -1, -2, 3], groupIDs: [0, 0, 1, 1, 2], lengths: [4, 4, 1, 2, 9], lambda: 0.25)
        XCTAssertEqual(edge.weights, [0.25, 0.25, 0.25, 0.25, 1])
        XCTAssertEqual(edge.advantageous, 1)
        // Nothing categorised: mean weight 1.
        XCTAssertEqual(adoraWeights(advantages: [0, 0], groupIDs: [0, 0], lengths: [1, 2], lambda: 0.1).weightMean, 1)
    }

    func testWeightedAdvantagesInTheKernel() throws {
        let cfg = try ObjectiveConfig.preset("adora")
        XCTAssertEqual(cfg.adoraLambda, 0.1)
        let S = 6, N = advantages.count
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 0..<lengths[i] { mask[i * S + t] = 1 } }
        var b = TokenBatch(count: N, length: S, behaviourLogProbs: [Float](repeating: 0, count: N * S), mask: mask,
                           advantages: advantages)
        b.groupIDs = groups
        // Ratio 1 everywhere: with token-mean over M = 29 tokens, dℓ/dlog π = −w·Â/M.
        let res = try objectiveLoss(cfg, state: ObjectiveState(config: cfg), batch: b, logProbs: [Float](repeating: 0, count: N * S))
        let M = Float(lengths.reduce(0, +))
        let w: [Float] = [1, 1, 1, 0.1, 0.1, 0.1, 1, 1]
        for i in 0..<N {
            XCTAssertEqual(res.dLogProbs[i * S], -w[i] * advantages[i] / M, accuracy: 1e-7, "sequence \(i)")
        }
        XCTAssertEqual(res.metrics.adoraAdvantageousFraction, 0.5)
        XCTAssertEqual(res.metrics.adoraDisadvantageousFraction, 0.5)
        XCTAssertEqual(res.metrics.adoraWeightMean!, (3 + 3 * Double(Float(0.1))) / 6, accuracy: 1e-12)   // λ is a Float setting
        XCTAssertNil(res.metrics.adoraAdvantageousRate, "no step yet")
        // Without group ids the input is named.
        b.groupIDs = nil
        XCTAssertThrowsError(try surrogateLoss(cfg, batch: b, logProbs: [Float](repeating: 0, count: N * S))) { e in
            XCTAssertTrue("\(e)".contains("group_ids (adora_lambda)"), "\(e)")
        }
    }

    /// The advantageous rate is an EMA (0.9) over steps: 0.5, then 0.9·0.5 + 0.1·1 after an all-advantageous step.
    func testAdvantageousRateAcrossSteps() throws {
        let cfg = try ObjectiveConfig.preset("adora")
        var state = ObjectiveState(config: cfg)
        var b = TokenBatch(count: 4, length: 2, behaviourLogProbs: [Float](repeating: 0, count: 8),
                           mask: [1, 1, 1, 0, 1, 0, 1, 1], advantages: [1, -1, 1, -1])
        b.groupIDs = [0, 0, 1, 1]   // group 0: right 2 > wrong 1 (advantageous); group 1: right 1 < wrong 2
        let first = try objectiveLoss(cfg, state: state, batch: b, logProbs: [Float](repeating: 0, count: 8))
        XCTAssertEqual(first.metrics.adoraAdvantageousFraction, 0.5)
        state.update(afterStep: first, config: cfg)
        XCTAssertEqual(state.adoraAdvantageousRate, 0.5)
        b.groupIDs = [0, 0, 0, 0]   // one group: right max 2 > wrong mean 1.5
        let second = try objectiveLoss(cfg, state: state, batch: b, logProbs: [Float](repeating: 0, count: 8))
        XCTAssertEqual(second.metrics.adoraAdvantageousFraction, 1)
        XCTAssertEqual(second.metrics.adoraAdvantageousRate, 0.5)
        state.update(afterStep: second, config: cfg)
        XCTAssertEqual(state.adoraAdvantageousRate!, 0.55, accuracy: 1e-12)
        let back = try JSONDecoder().decode(ObjectiveState.self, from: JSONEncoder().encode(state))
        XCTAssertEqual(back, state)
        // Settings are range-checked.
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "adora", overrides: ["adora_lambda": "1.5"]))
        XCTAssertNil(try ObjectiveConfig.parse(name: "adora", overrides: ["adora_lambda": "none"]).adoraLambda)
    }
}
