// Staleness corrections (ALGORITHMS.md §4.8–4.10): the staleness mask (`mask_staleness_above`),
// TIS / MIS / V-trace weights at token and sequence level, staleness histogram.
import XCTest
import Foundation
@testable import Objectives

final class StalenessTests: XCTestCase {
    /// Four one-token sequences generated at versions 10, 9, 7, 5 (learner at 10).
    private func staleBatch() -> TokenBatch {
        var b = TokenBatch(count: 4, length: 1, behaviourLogProbs: [0, 0, 0, 0], mask: [1, 1, 1, 1],
                           advantages: [1, -1, 0.5, 2])
        b.versions = [10, 9, 7, 5]; b.learnerVersion = 10
        return b
    }

    func testCapMasksExactlyTheStaleSequences() throws {
        var cfg = ObjectiveConfig(); cfg.maskStalenessAbove = 2
        let lp: [Float] = [0.1, -0.1, 0.05, 0.02]
        let res = try surrogateLoss(cfg, batch: staleBatch(), logProbs: lp)
        XCTAssertEqual(res.effectiveMask, [1, 1, 0, 0])     // s = 0, 1 kept; s = 3, 5 dropped
        XCTAssertEqual(res.dLogProbs[2], 0); XCTAssertEqual(res.dLogProbs[3], 0)
        XCTAssertEqual(res.metrics.stalenessCappedFraction, 0.5)
        // Same as training on the fresh rows only.
        let fresh = TokenBatch(count: 2, length: 1, behaviourLogProbs: [0, 0], mask: [1, 1], advantages: [1, -1])
        let ref = try surrogateLoss(ObjectiveConfig(), batch: fresh, logProbs: [0.1, -0.1])
        XCTAssertEqual(res.loss, ref.loss, accuracy: 1e-12)
        XCTAssertEqual(Array(res.dLogProbs[0..<2]), ref.dLogProbs)
        cfg.maskStalenessAbove = 5
        XCTAssertEqual(try surrogateLoss(cfg, batch: staleBatch(), logProbs: lp).effectiveMask, [1, 1, 1, 1])
    }

    func testStalenessHistogramAndBucketWeights() throws {
        var cfg = ObjectiveConfig(); cfg.maskStalenessAbove = 2
        let res = try surrogateLoss(cfg, batch: staleBatch(), logProbs: [0, 0, 0, 0])
        XCTAssertEqual(res.metrics.stalenessCounts, [1, 1, 0, 1, 0, 1, 0, 0, 0])
        XCTAssertEqual(res.metrics.stalenessWeights, [1, 1, 0, 0, 0, 0, 0, 0, 0])  // capped buckets weigh 0
        XCTAssertEqual(res.metrics.stalenessMean!, 9.0 / 4, accuracy: 1e-12)
        var b = staleBatch(); b.versions = [11, 9, 7, 5]
        XCTAssertThrowsError(try surrogateLoss(ObjectiveConfig(), batch: b, logProbs: [0, 0, 0, 0])) { e in
            XCTAssertTrue("\(e)".contains("newer than the learner"), "\(e)")
        }
    }

    /// One sequence of two tokens with π_prox/μ = ρ₁, ρ₂ and π_θ = π_prox.
    private func weighted(_ cfg: ObjectiveConfig, _ r1: Double, _ r2: Double) throws -> ObjectiveResult {
        var c = cfg; c.reference = .decoupled
        let p = [Float(log(r1)), Float(log(r2))]
        return try oneSequence(c, ratios: [r1, r2], a: 1) { $0.proximalLogProbs = p }
    }

    func testTokenLevelWeights() throws {
        var cfg = ObjectiveConfig(); cfg.weight = .tis
        let tis = try weighted(cfg, 3, 0.5)                 // min(3, 2), 0.5; u = 1 → loss −mean(w)
        XCTAssertEqual(tis.loss, -(2 + seen(0.5)) / 2, accuracy: 1e-6)
        XCTAssertEqual(tis.metrics.weightTruncatedFraction, 0.5)
        cfg.weight = .mis
        let mis = try weighted(cfg, 3, 0.6)                 // 3 ∉ [0.5, 2] → 0; denominator keeps it
        XCTAssertEqual(mis.loss, -seen(0.6) / 2, accuracy: 1e-6)
        XCTAssertEqual(mis.dLogProbs[0], 0)
        XCTAssertEqual(mis.metrics.weightMaskedFraction, 0.5)
        cfg.weight = .vtrace
        let vt = try weighted(cfg, 3, 0.5)                  // ρ̄ = 1
        XCTAssertEqual(vt.loss, -(1 + seen(0.5)) / 2, accuracy: 1e-6)
        cfg.weight = .is
        XCTAssertEqual(try weighted(cfg, 3, 0.5).loss, -(seen(3) + seen(0.5)) / 2, accuracy: 1e-6)
    }

    func testSequenceLevelWeights() throws {
        var cfg = ObjectiveConfig(); cfg.weight = .tis; cfg.weightLevel = .sequence
        let seq = try weighted(cfg, 1.5, 2)                 // product 3 → min(3, 2) on every token
        XCTAssertEqual(seq.loss, -2, accuracy: 1e-6)
        cfg.weight = .is; cfg.weightLevel = .sequenceMean
        let geo = try weighted(cfg, 1.5, 2)                 // geometric mean √3
        XCTAssertEqual(geo.loss, -(seen(1.5) * seen(2)).squareRoot(), accuracy: 1e-6)
        cfg.weight = .mis; cfg.weightLevel = .sequence
        let masked = try weighted(cfg, 1.5, 2)              // 3 > 2: whole sequence weight 0
        XCTAssertEqual(masked.loss, 0)
        XCTAssertEqual(masked.metrics.weightMaskedFraction, 1)
    }

    func testBehaviourReferenceHasUnitWeights() throws {
        var cfg = ObjectiveConfig(); cfg.weight = .tis
        let res = try oneSequence(cfg, ratios: [1.1, 0.9], a: 1)
        XCTAssertEqual(res.metrics.behaviourWeightMean, 1)
        XCTAssertEqual(res.loss, -(seen(1.1) + seen(0.9)) / 2, accuracy: 1e-9)
    }
}
