// A small, fast `tributary experiment` through the real binary, asserting only properties
// that must hold: uncorrected staleness widens the ratio tail, and R²VPO's dual variable
// rises when the ratio variance exceeds its target.

import Foundation
import XCTest

final class ExperimentTests: XCTestCase {
    private func runs(_ dir: URL) throws -> [[String: Any]] {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("results.json"))) as! [String: Any]
        return obj["runs"] as! [[String: Any]]
    }

    func testStalenessWidensTheRatioTailAndR2VPOLambdaRises() throws {
        let dir = Binary.tempDir(self)
        let r = try Binary.run(["experiment", "--out", dir.path, "--objectives", "grpo,r2vpo:delta=0.001",
                                "--staleness", "0,8", "--seeds", "0", "--budget-rollouts", "5120",
                                "--target", "2", "--eval-every", "20", "--eval-size", "200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let all = try runs(dir)
        XCTAssertEqual(all.count, 4)
        func run(_ o: String, _ s: Int) throws -> [String: Any] {
            try XCTUnwrap(all.first { $0["objective"] as? String == o && $0["staleness"] as? Int == s })
        }
        let fresh = try run("grpo", 0), stale = try run("grpo", 8)
        let q0 = try XCTUnwrap(fresh["ratioQ999Median"] as? Double), q8 = try XCTUnwrap(stale["ratioQ999Median"] as? Double)
        XCTAssertGreaterThan(q8, q0, "staleness 8 should widen the ratio tail (q99.9 \(q0) → \(q8))")
        let lambda = try XCTUnwrap(try run("r2vpo:delta=0.001", 8)["lambdaEnd"] as? Double)
        XCTAssertGreaterThan(lambda, 2.5, "λ starts at 2.5 and must rise while Var(r) > δ")
        for f in ["results.csv", "summary.md", "accuracy-staleness-8.svg", "ratio-tail-staleness-0.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), f)
        }
        let svg = try String(contentsOf: dir.appendingPathComponent("accuracy-staleness-8.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "class=\"series\"").count - 1, 2, "one line per objective")
    }
}
