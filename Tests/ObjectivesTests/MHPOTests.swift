// MHPO modulator and hazard penalties (ALGORITHMS.md §5.2, reconstruction).
import XCTest
import Foundation
@testable import Objectives

final class MHPOTests: XCTestCase {
    func testValueAndDerivativeUpAndDown() throws {
        let cfg = try ObjectiveConfig.preset("mhpo")   // κ = 0.2, η = 0.5, k = 2
        for (r, a) in [(1.3, 1.0), (0.7, -1.0), (1.0, 2.0)] {
            let res = try oneSequence(cfg, ratios: [r], a: Float(a))
            let l = log(seen(r)), th = tanh(l / 0.2)
            let u = abs(l)
            let expected = -a * (1 + 0.2 * th) + (u / 0.5) * (u / 0.5)
            let slope = -a * (1 - th * th) + (l >= 0 ? 1 : -1) * 2 / 0.5 * (u / 0.5)
            XCTAssertEqual(res.loss, expected, accuracy: 1e-6, "r = \(r)")
            XCTAssertEqual(Double(res.dLogProbs[0]), slope, accuracy: 1e-5, "r = \(r)")
        }
    }

    func testModulatorIsBoundedAndNeverDead() throws {
        let cfg = try ObjectiveConfig.preset("mhpo")
        // A huge ratio: the surrogate part is bounded by κ|Â|, the hazard pulls back (positive slope).
        let res = try oneSequence(cfg, ratios: [50], a: 1)
        let l = log(seen(50))
        XCTAssertEqual(res.loss - (l / 0.5) * (l / 0.5), -1.2, accuracy: 1e-4)
        XCTAssertGreaterThan(res.dLogProbs[0], 0)
        XCTAssertEqual(res.metrics.clipFractionHigh, 1)
        // Unlike PPO, a ratio outside the window with Â > 0 still has a non-zero slope.
        XCTAssertNotEqual(try oneSequence(cfg, ratios: [1.25], a: 1).dLogProbs[0], 0)
    }
}
