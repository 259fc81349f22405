// The row-separability classification (Separability.swift) checked against the kernel itself:
// for every preset it calls separable, changing the other rows' log-probs and entropies leaves a
// row's log-prob gradient bit-for-bit unchanged; for the ones it calls coupled, some row's gradient
// does change; and where it calls zero-advantage rows inert, their gradient is exactly zero.

import Rollout
import XCTest
import Objectives
import Tensor

final class SeparabilityTests: XCTestCase {
    private let (N, S) = (12, 8)

    /// Groups of 3 (group 1 all equal: zero advantages), versions 0…3 against learner version 3,
    /// a reference and entropies, so every preset has its inputs.
    private func batch(_ rng: inout Xoshiro256) -> TokenBatch {
        var mask = [Float](repeating: 0, count: N * S)
        for i in 0..<N { for t in 2..<(S - i % 3) { mask[i * S + t] = 1 } }
        let beh = mask.map { $0 * (-0.2 - 2 * rng.nextUniform()) }
        var b = TokenBatch(count: N, length: S, behaviourLogProbs: beh, mask: mask,
                           advantages: [1.1, -0.4, -0.7, 0, 0, 0, 0.9, 0.3, -1.2, -1, 0.5, 0.5])
        b.rewards = [1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1]
        b.groupIDs = (0..<N).map { Int32($0 / 3) }
        b.versions = (0..<N).map { PolicyVersion(UInt64($0 % 4)) }
        b.learnerVersion = 3
        b.referenceLogProbs = mask.map { $0 * (-0.2 - 2 * rng.nextUniform()) }
        b.entropy = mask.map { $0 * 2 * rng.nextUniform() }
        b.previousKL = b.entropy!.map { 0.05 * $0 }    // MDPO's exact KL (its preset); no draw, so the rng stream is unchanged
        return b
    }

    /// The log-prob gradient, followed by the entropy gradient and the exact previous-KL gradient
    /// when the objective has them: all go backward per row, so a separable row's must not move
    /// when other rows change.
    private func gradient(_ c: ObjectiveConfig, _ b: TokenBatch, _ lp: [Float]) throws -> [Float] {
        let r = try objectiveLoss(c, state: ObjectiveState(config: c), batch: b, logProbs: lp)
        return r.dLogProbs + (r.dEntropy ?? []) + (r.dPreviousKL ?? [])
    }

    /// Row `row`'s entries of `g` (each part: log-prob, then entropy and previous KL when present).
    private func rowSlice(_ g: [Float], _ row: Int) -> [Float] {
        let n = N * S
        var out: [Float] = []
        for part in 0..<(g.count / n) {
            let start: Int = part * n + row * S
            out += g[start..<(start + S)]
        }
        return out
    }

    func testTheKernelAgreesWithTheClassificationForEveryPreset() throws {
        let coupled: Set<String> = ["r2vpo", "r2vpo-decoupled", "capo", "d3s",
                                    "epo", "empg", "dcpo", "grpo-guard", "calibration-po", "oblr-po"]
        // Coupled only when the batch's entropy leaves EPO's band or falls below DCPO's target,
        // which this batch need not do: their gradients need not move here.
        // CAPO likewise only when some token's curvature score exceeds its cut.
        let conditionallyCoupled: Set<String> = ["epo", "dcpo", "capo"]
        var rng = Xoshiro256(seed: 21)
        let b = batch(&rng)
        for name in ObjectiveConfig.presetNames {
            for overrides in [[:], ["kl_coef": "0.1"]] {
                let c = try ObjectiveConfig.parse(name: name, overrides: overrides)
                let what = "\(name) \(overrides)"
                XCTAssertEqual(c.isRowSeparable, !coupled.contains(name), what)
                let lp = b.behaviourLogProbs.enumerated().map { k, x in b.mask[k] * (x + 0.4 * (rng.nextUniform() - 0.5)) }
                let base = try gradient(c, b, lp)
                XCTAssertTrue(base.contains { $0 != 0 }, "\(what): no gradient")
                var changedElsewhere = false
                for row in [0, 2, 4, 8, 10, 11] {
                    // Every other row gets other log-probs and entropies.
                    var lp2 = lp, b2 = b
                    for k in 0..<(N * S) where k / S != row && b.mask[k] != 0 {
                        lp2[k] -= 0.5 * rng.nextUniform()
                        b2.entropy![k] = 2 * rng.nextUniform()
                    }
                    let d = try gradient(c, b2, lp2)
                    let same = rowSlice(d, row) == rowSlice(base, row)
                    if c.isRowSeparable { XCTAssertTrue(same, "\(what): row \(row)'s gradient depends on other rows") }
                    changedElsewhere = changedElsewhere || !same
                }
                if !c.isRowSeparable && !conditionallyCoupled.contains(name) { XCTAssertTrue(changedElsewhere, "\(what): called coupled but no row's gradient moved") }
                if c.zeroAdvantageRowsAreInert {
                    for i in 0..<N where b.advantages[i] == 0 {
                        XCTAssertFalse(rowSlice(base, i).contains { $0 != 0 }, "\(what): zero-advantage row \(i) has a gradient")
                    }
                } else if c.isRowSeparable && !c.dynamicSampling && !(c.safe && c.klCoef == 0) {
                    // (DAPO drops the all-equal group 1; SAFE's controlled KL coefficient starts at 0.)
                    XCTAssertTrue((3..<6).contains { rowSlice(base, $0).contains { $0 != 0 } }, "\(what): called live but zero-advantage rows have no gradient")
                }
            }
        }
    }
}
