// Shared helpers for the Policy tests: fixture location and tolerance comparisons.

import Foundation
import XCTest
@testable import Policy
import Tensor

enum Fixture {
    /// Tests/PolicyTests/Fixtures/gpt2-tiny inside the test bundle.
    static var gpt2Tiny: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("gpt2-tiny")
    }
    static var tinyConfig: ModelConfig {
        ModelConfig(vocabSize: 16, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4)
    }
}

/// Max over i of |a−b| / (atol + rtol·|b|); ≤ 1 means "close".
func closeness(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0
    for i in 0..<a.count {
        let r = abs(a[i] - b[i]) / (atol + rtol * abs(b[i]))
        if r > worst || r.isNaN { worst = r.isNaN ? .infinity : r }
    }
    return worst
}

func assertClose(_ a: [Float], _ b: [Float], rtol: Float, atol: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    guard a.count == b.count else { return }
    let c = closeness(a, b, rtol: rtol, atol: atol)
    XCTAssertLessThanOrEqual(c, 1, "\(what): not close (worst ratio \(c))", file: file, line: line)
}

extension XCTestCase {
    /// A fresh empty temporary directory, removed when the test ends.
    func makeTempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("policy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }
}
