// Smoke test of the benchmark entry points (small sizes; asserts sane outputs, never timing).
// Set TRIBUTARY_BENCH=1 to run the full-size measurements and print them.

import Foundation
import XCTest
@testable import Policy
import Tensor

final class PolicyBenchTests: XCTestCase {
    func testBenchmarksReturnPositiveRates() throws {
        XCTAssertGreaterThan(PolicyBench.sgemmGFLOPS(m: 64, n: 64, k: 64, repeats: 2), 0)
        let l = try PolicyBench.learner(preset: "tiny", vocabSize: 16, batch: 2, length: 8, repeats: 1)
        XCTAssertGreaterThan(l.tokensPerSecond, 0)
        XCTAssertTrue(l.gflops.isFinite)
        XCTAssertGreaterThan(try PolicyBench.samplerTokensPerSecond(preset: "tiny", vocabSize: 16, groups: 2, samples: 2,
                                                                     promptLength: 3, completionLength: 3, repeats: 1), 0)
    }

    func testFullSizeBenchmarks() throws {
        guard ProcessInfo.processInfo.environment["TRIBUTARY_BENCH"] != nil else { return }
        for threads in [1, 2] {
            Blas.setThreads(threads)
            let g = PolicyBench.sgemmGFLOPS()
            let g2 = PolicyBench.sgemmGFLOPS(m: 3072, n: 128, k: 512)
            let l = try PolicyBench.learner()
            let s = try PolicyBench.samplerTokensPerSecond()
            print("BENCH threads=\(threads) sgemm[3072x512x128]=\(g) GFLOP/s sgemm[3072x128x512]=\(g2) GFLOP/s "
                  + "learner small 128x24: \(l.tokensPerSecond) tok/s, \(l.secondsPerUpdate) s/update, \(l.gflops) GFLOP/s; "
                  + "sampler 16x8 12+12: \(s) tok/s")
        }
    }
}
