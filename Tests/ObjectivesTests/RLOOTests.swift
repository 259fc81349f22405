// RLOO leave-one-out advantages (RLOO.swift, ALGORITHMS.md §4.5).
import XCTest
import Foundation
@testable import Objectives

final class RLOOTests: XCTestCase {
    func testRLOOLeaveOneOut() throws {
        // R = 1,0,0: baseline for sample 0 is mean(0,0)=0 → 1; for sample 1 mean(1,0)=0.5 → −0.5
        let a = try AdvantageEstimator.rloo.advantages(rewards: [1, 0, 0], groupIDs: [0, 0, 0])
        XCTAssertEqual(a[0], 1, accuracy: 1e-6)
        XCTAssertEqual(a[1], -0.5, accuracy: 1e-6)
        XCTAssertEqual(a[2], -0.5, accuracy: 1e-6)
    }
}
