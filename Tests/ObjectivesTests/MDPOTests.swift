// MDPO: unclipped IS surrogate + (1/t_k) KL(π_θ‖π_k), sampled and exact-input forms (ALGORITHMS.md §5.17).
import XCTest
import Foundation
@testable import Objectives

final class MDPOTests: XCTestCase {
    func testSampledKLTermValueAndGradient() throws {
        var cfg = try ObjectiveConfig.preset("mdpo"); cfg.previousKL = .sampled
        let res = try oneSequence(cfg, ratios: [1.2], a: 1)
        let r = seen(1.2), lr = log(r)
        XCTAssertEqual(res.loss, -r + (r * lr - r + 1), accuracy: 1e-9)
        XCTAssertEqual(Double(res.dLogProbs[0]), -r + r * lr, accuracy: 1e-6)
        XCTAssertEqual(res.metrics.previousKL!, r * lr - r + 1, accuracy: 1e-12)
        XCTAssertEqual(res.metrics.clipFractionHigh, 0, "no clipping in MDPO")
    }

    func testAnnealedCoefficient() throws {
        var cfg = try ObjectiveConfig.preset("mdpo"); cfg.mdpoAnnealSteps = 10; cfg.previousKL = .sampled
        var st = ObjectiveState(config: cfg); st.step = 5
        let res = try oneSequence(cfg, ratios: [1.2], a: 0, state: st)   // Â = 0: only the KL term
        let r = seen(1.2)
        XCTAssertEqual(res.metrics.mdpoCoefficient!, 2, accuracy: 1e-9)   // t = 1 − 5/10
        XCTAssertEqual(res.loss, 2 * (r * log(r) - r + 1), accuracy: 1e-9)
        st.step = 100                                                     // floored at min fraction 0.05
        XCTAssertEqual(try oneSequence(cfg, ratios: [1.2], a: 0, state: st).metrics.mdpoCoefficient!,
                       1 / Double(Float(0.05)), accuracy: 1e-6)
    }

    func testExactKLInputReturnsItsGradientForThePolicy() throws {
        var cfg = try ObjectiveConfig.preset("mdpo"); cfg.previousKL = .input
        let res = try oneSequence(cfg, ratios: [1, 1], a: 0) { $0.previousKL = [0.1, 0.3] }
        XCTAssertEqual(res.loss, 0.2, accuracy: 1e-7)                      // token-mean of the input KL
        XCTAssertEqual(res.dPreviousKL ?? [], [0.5, 0.5])
        XCTAssertEqual(res.dLogProbs, [0, 0], "the kernel cannot express dKL/dlogπ")
        XCTAssertThrowsError(try oneSequence(cfg, ratios: [1], a: 0))       // input missing
    }
}
