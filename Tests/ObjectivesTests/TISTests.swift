// TIS (TIS.swift, ALGORITHMS.md §4.8): the preset's truncated behaviour weight min(π_prox/μ, 2).
// The other weight rules (is, mis, vtrace) and the sequence level: StalenessTests.
import XCTest
import Foundation
@testable import Objectives

final class TISTests: XCTestCase {
    func testPresetTruncatesTheBehaviourWeightAtTwo() throws {
        XCTAssertEqual(truncatedWeight(3, cap: 2).weight, 2); XCTAssertTrue(truncatedWeight(3, cap: 2).truncated)
        XCTAssertEqual(truncatedWeight(0.5, cap: 2).weight, 0.5); XCTAssertFalse(truncatedWeight(0.5, cap: 2).truncated)
        var cfg = try ObjectiveConfig.preset("tis")
        XCTAssertEqual(cfg.weight, .tis); XCTAssertEqual(cfg.tisCap, 2); XCTAssertEqual(cfg.reference, .decoupledInterp)
        // Supplied π_prox with π_θ = π_prox (u = 1): ρ_b = 3 and 0.5 → weights 2 and 0.5, Â = 1,
        // token-mean loss −(2 + 0.5)/2; the gradient of each token is −w·u/2.
        cfg.reference = .decoupled
        let p = [Float(log(3.0)), Float(log(0.5))]
        let res = try oneSequence(cfg, ratios: [3, 0.5], a: 1) { $0.proximalLogProbs = p }
        XCTAssertEqual(res.loss, -(2 + seen(0.5)) / 2, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[0]), -1, accuracy: 1e-6)
        XCTAssertEqual(Double(res.dLogProbs[1]), -seen(0.5) / 2, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.weightTruncatedFraction, 0.5)
        XCTAssertEqual(res.metrics.behaviourWeightMax, 2, accuracy: 1e-12)
    }
}
