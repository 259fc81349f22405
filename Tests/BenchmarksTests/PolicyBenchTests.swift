// Smoke test of the benchmark entry points (small sizes; asserts sane outputs, never timing).
// Set TRIBUTARY_BENCH=1 to run the full-size measurements and print them.

import Foundation
import XCTest
@testable import Benchmarks
import Policy
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

    func testRunReportsEveryPresetAsJSON() throws {
        let r = try PolicyBench.run(presets: ["tiny"], threads: 1, vocabSize: 16, batch: 2, length: 8, groups: 2,
                                    samples: 2, promptLength: 3, completionLength: 3, repeats: 1)
        XCTAssertEqual(r.threads, 1)
        XCTAssertEqual(r.presets.map(\.preset), ["tiny"])
        let p = r.presets[0]
        XCTAssertEqual(p.sgemm.count, 6)
        XCTAssertEqual(p.sgemmPeakGflops, p.sgemm.map(\.gflops).max())
        XCTAssertGreaterThan(p.learner.tokensPerSecond, 0)
        XCTAssertEqual(p.learner.fractionOfPeak, p.learner.gflops / p.sgemmPeakGflops, accuracy: 1e-9)
        XCTAssertGreaterThan(p.sampler.tokensPerSecond, 0)
        XCTAssertEqual(p.parameters, try GPT(config: try ModelConfig.preset("tiny", vocabSize: 16)).parameterCount)
        let back = try JSONDecoder().decode(PolicyBenchReport.self, from: Data(try r.json().utf8))
        XCTAssertEqual(back, r)
        XCTAssertThrowsError(try PolicyBench.run(presets: ["huge"], threads: 1))
        XCTAssertThrowsError(try PolicyBench.run(presets: ["tiny"], threads: 0))
    }

    func testFullSizeBenchmarks() throws {
        guard ProcessInfo.processInfo.environment["TRIBUTARY_BENCH"] != nil else { return }
        for threads in [1, 2] { print(try PolicyBench.run(threads: threads).json()) }
    }
}
