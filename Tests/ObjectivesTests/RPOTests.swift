// RPO (RPO.swift): the SFT term on demonstration rows, by hand on a two-group toy batch — loss,
// dLoss/dlog π and the panel — and the sampled rows treated exactly as GRPO treats them alone.
import XCTest
import Foundation
import Rollout
@testable import Objectives

/// The toy batch of RPOTests and HNPGTests: two groups of two sampled rows and one demonstration
/// row each, S = 3 positions, position 0 the prompt. Sampled rows have one completion token
/// (position 1, log μ = −1), demonstration rows two (positions 1–2). Rows 0–3 sampled (groups 0, 0,
/// 1, 1), rows 4–5 the demonstrations of groups 0 and 1. log π = log μ except row 0 (ratio e^0.1),
/// and on the demonstrations (−0.5, −1.5) and (−2, −0.25).
func demonstrationToyBatch(advantages: [Float]) -> (batch: TokenBatch, logProbs: [Float]) {
    let S = 3
    var mask = [Float](repeating: 0, count: 6 * S), beh = mask, lp = mask
    for i in 0..<4 { mask[i * S + 1] = 1; beh[i * S + 1] = -1; lp[i * S + 1] = -1 }
    lp[1] = -0.9
    for i in 4..<6 { mask[i * S + 1] = 1; mask[i * S + 2] = 1 }
    lp[4 * S + 1] = -0.5; lp[4 * S + 2] = -1.5; lp[5 * S + 1] = -2; lp[5 * S + 2] = -0.25
    var b = TokenBatch(count: 6, length: S, behaviourLogProbs: beh, mask: mask, advantages: advantages)
    b.rewards = [1, 0, 0, 0, 1, 1]
    b.groupIDs = [0, 0, 1, 1, 0, 1]
    b.versions = [9, 9, 10, 10, 9, 10]
    b.learnerVersion = 10
    b.demonstration = [false, false, false, false, true, true]
    return (b, lp)
}

final class RPOTests: XCTestCase {
    func testPreset() throws {
        let c = try ObjectiveConfig.preset("rpo")
        XCTAssertEqual(c.sftCoef, 0.1)
        XCTAssertNil(c.offlineWeight)
        XCTAssertTrue(c.usesDemonstrations)
        XCTAssertFalse(try ObjectiveConfig.preset("grpo").usesDemonstrations)
        XCTAssertThrowsError(try ObjectiveConfig.parse(name: "rpo", overrides: ["sft_coef": "-1"]))
    }

    func testLossAndGradientByHand() throws {
        let (batch, lp) = demonstrationToyBatch(advantages: [1, -1, 0, 0, 0, 0])
        let res = try surrogateLoss(try .preset("rpo"), batch: batch, logProbs: lp)
        // GRPO on the sampled rows: M = 4 tokens, ratios e^0.1 (row 0, inside the clip window for
        // Â = 1) and 1: loss = −(1·e^0.1 − 1·1)/4, ∂/∂log π = −Â·x/4.
        let grpo = -(exp(0.1) - 1) / 4
        // SFT: η = 0.1, |D| = 4 tokens, mean −log π = (0.5 + 1.5 + 2 + 0.25)/4 = 1.0625.
        let sft = 0.1 * 1.0625
        XCTAssertEqual(res.loss, grpo + sft, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.policyLoss, grpo, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.sftTerm!, sft, accuracy: 1e-7)
        XCTAssertEqual(res.metrics.demonstrationNLL!, 1.0625, accuracy: 1e-7)
        XCTAssertEqual(res.metrics.demonstrationTokens, 4)
        XCTAssertEqual(res.metrics.loss, res.loss, accuracy: 1e-12)
        var want = [Float](repeating: 0, count: 18)
        want[1] = Float(-exp(0.1) / 4); want[4] = 0.25
        for k in [13, 14, 16, 17] { want[k] = -0.1 / 4 }
        for k in 0..<18 { XCTAssertEqual(res.dLogProbs[k], want[k], accuracy: 1e-6, "position \(k)") }
        // The panel counts the sampled rows only: 4 tokens, 4 sequences, staleness of rows 0–3.
        XCTAssertEqual(res.metrics.tokens, 4)
        XCTAssertEqual(res.metrics.sequences, 4)
        XCTAssertEqual(res.metrics.stalenessMean!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(res.effectiveMask.enumerated().filter { $0.element != 0 }.map(\.offset), [1, 4, 7, 10, 13, 14, 16, 17])
    }

    /// The sampled rows get exactly what GRPO gives them without any demonstration row, and a
    /// configuration without demonstration terms ignores the demonstration rows.
    func testSampledRowsAreGRPOsAlone() throws {
        let (batch, lp) = demonstrationToyBatch(advantages: [1, -1, 0.5, -0.5, 0, 0])
        let rpo = try surrogateLoss(try .preset("rpo"), batch: batch, logProbs: lp)
        var sampled = TokenBatch(count: 4, length: 3, behaviourLogProbs: Array(batch.behaviourLogProbs[0..<12]),
                                 mask: Array(batch.mask[0..<12]), advantages: [1, -1, 0.5, -0.5])
        sampled.rewards = [1, 0, 0, 0]; sampled.groupIDs = [0, 0, 1, 1]; sampled.versions = [9, 9, 10, 10]; sampled.learnerVersion = 10
        let alone = try surrogateLoss(try .preset("grpo"), batch: sampled, logProbs: Array(lp[0..<12]))
        XCTAssertEqual(Array(rpo.dLogProbs[0..<12]), alone.dLogProbs)
        XCTAssertEqual(rpo.metrics.policyLoss, alone.metrics.policyLoss, accuracy: 1e-12)
        XCTAssertEqual(rpo.metrics.ratioMax, alone.metrics.ratioMax)
        XCTAssertEqual(rpo.metrics.klBehaviourK3, alone.metrics.klBehaviourK3)
        let grpo = try surrogateLoss(try .preset("grpo"), batch: batch, logProbs: lp)
        XCTAssertEqual(Array(grpo.dLogProbs[0..<12]), alone.dLogProbs)
        XCTAssertEqual(Array(grpo.dLogProbs[12...]), [Float](repeating: 0, count: 6), "grpo ignores demonstration rows")
        XCTAssertEqual(grpo.loss, alone.loss, accuracy: 1e-12)
        XCTAssertNil(grpo.metrics.sftTerm)
        XCTAssertEqual(grpo.metrics.demonstrationTokens, 4, "the panel still counts them")
        // Demonstration rows only (no sampled row in the minibatch): the SFT term alone.
        let demoOnly = batch.rows([4, 5])
        let d = try surrogateLoss(try .preset("rpo"), batch: demoOnly, logProbs: Array(lp[12...]))
        XCTAssertEqual(d.loss, 0.1 * 1.0625, accuracy: 1e-7)
        XCTAssertEqual(d.metrics.tokens, 0)
    }

    /// Central differences: the kernel's gradient is the derivative of its loss (the SFT term
    /// is linear in log π, so the check is exact up to rounding).
    func testFiniteDifferences() throws {
        let (batch, lp) = demonstrationToyBatch(advantages: [1, -1, 0.5, -0.5, 0, 0])
        let cfg = try ObjectiveConfig.preset("rpo")
        let g = try surrogateLoss(cfg, batch: batch, logProbs: lp).dLogProbs
        for k in [1, 4, 13, 14, 16, 17] {
            var up = lp, down = lp
            up[k] += 1e-2; down[k] -= 1e-2
            let fd = (try surrogateLoss(cfg, batch: batch, logProbs: up).loss - surrogateLoss(cfg, batch: batch, logProbs: down).loss) / 2e-2
            XCTAssertEqual(Double(g[k]), fd, accuracy: 1e-4, "position \(k)")
        }
    }
}
