// DCPO (DCPO.swift): the entropy weight τ − 1, its target, its place in the kernel and its state.
import XCTest
import Foundation
@testable import Objectives

final class DCPOTests: XCTestCase {
    func testDCPOCoefficientAndTarget() throws {
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 0.5, target: 1, twoSided: false), 0.025, accuracy: 1e-12)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 3, target: 1, twoSided: false), 0)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 3, target: 1, twoSided: true), -0.05, accuracy: 1e-12)
        XCTAssertEqual(dcpoCoefficient(alpha: 0.05, batchEntropy: 0, target: 1, twoSided: false), 0.05, accuracy: 1e-12)
        var c = try ObjectiveConfig.preset("dcpo")
        XCTAssertEqual(dcpoTarget(c, initialEntropy: 2), 1, accuracy: 1e-7)
        c.dcpoTargetEntropy = 0.7
        XCTAssertEqual(dcpoTarget(c, initialEntropy: 2), Double(Float(0.7)))
    }

    func testDCPOInTheKernelAndItsState() throws {
        let cfg = try ObjectiveConfig.preset("dcpo")
        var state = ObjectiveState(config: cfg)
        // Step 0 sets H₀ = H_B = 1.5: target 0.75, above it, so one-sided DCPO does nothing yet.
        let first = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [1, 2] }
        XCTAssertEqual(first.metrics.dcpoCoef, 0); XCTAssertNil(first.dEntropy)
        state.update(afterStep: first, config: cfg)
        XCTAssertEqual(state.initialEntropy!, 1.5, accuracy: 1e-9)
        // Collapsed to H_B = 0.3: τ − 1 = 0.05·(0.75 − 0.3)/0.75 = 0.03 as an entropy bonus.
        let later = try oneSequence(cfg, ratios: [1, 1], a: 0, state: state) { $0.entropy = [0.2, 0.4] }
        let coef = Double(Float(0.05)) * (0.75 - 0.3) / 0.75
        XCTAssertEqual(later.metrics.dcpoCoef!, coef, accuracy: 1e-7)
        XCTAssertEqual(later.loss, -coef * 0.3, accuracy: 1e-7)
        XCTAssertEqual(Double(later.dEntropy![0]), -coef / 2, accuracy: 1e-7)
        state.update(afterStep: later, config: cfg)
        XCTAssertEqual(state.initialEntropy!, 1.5, accuracy: 1e-9, "H₀ stays the first step's")
    }
}
