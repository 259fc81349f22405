// Honest throughput: only loss-masked tokens of minibatches that had an optimizer step count,
// over the update's seconds; a step without an update has no throughput at all.

import Rollout
import XCTest
import Objectives
@testable import Training

final class UpdateThroughputTests: XCTestCase {
    /// Four rows of length 4 with 1, 2, 3 and 4 completion tokens; `advantages` per row.
    private func batch(_ advantages: [Float]) -> TrainingBatch {
        let mask: [Float] = (0..<4).flatMap { r in (0..<4).map { $0 <= r ? 1 : 0 } }
        return TrainingBatch(count: 4, length: 4, tokens: Array(repeating: 1, count: 16), lossMask: mask,
                             behaviourLogProbs: Array(repeating: -1, count: 16), rewards: [1, 0, 0, 0], advantages: advantages,
                             groupIDs: [0, 0, 1, 1], versions: [0, 0, 0, 0], correct: [true, false, false, false])
    }

    func testOnlyMinibatchesWithAnUpdateCount() {
        // Every minibatch has a non-zero advantage: all 10 tokens, twice (2 epochs).
        XCTAssertEqual(UpdateThroughput.trainedTokens(batch([1, -1, 1, -1]), epochs: 2, minibatches: 2, shuffleSeed: 7,
                                                      optimizerSteps: 4, skippedMinibatches: 0), 20)
        // No update: nothing trained.
        XCTAssertEqual(UpdateThroughput.trainedTokens(batch([0, 0, 0, 0]), epochs: 2, minibatches: 2, shuffleSeed: 7,
                                                      optimizerSteps: 0, skippedMinibatches: 4), 0)
        // Only rows 0 and 1 (1 + 2 tokens) have signal; with one minibatch per epoch of all rows,
        // every minibatch steps and all rows count.
        XCTAssertEqual(UpdateThroughput.trainedTokens(batch([1, -1, 0, 0]), epochs: 1, minibatches: 1, shuffleSeed: 7,
                                                      optimizerSteps: 1, skippedMinibatches: 0), 10)
        // Four minibatches of one row: only the two rows with an advantage step (3 tokens).
        XCTAssertEqual(UpdateThroughput.trainedTokens(batch([1, -1, 0, 0]), epochs: 1, minibatches: 4, shuffleSeed: 7,
                                                      optimizerSteps: 2, skippedMinibatches: 2), 3)
        // Skipping disabled (every minibatch stepped although two had no advantage): all tokens.
        XCTAssertEqual(UpdateThroughput.trainedTokens(batch([1, -1, 0, 0]), epochs: 1, minibatches: 4, shuffleSeed: 7,
                                                      optimizerSteps: 4, skippedMinibatches: 0), 10)
    }

    func testRateIsTokensOverUpdateSecondsAndNilWithoutAnUpdate() {
        XCTAssertEqual(UpdateThroughput(trainedTokens: 500, seconds: 0.25).tokensPerSecond, 2000)
        XCTAssertNil(UpdateThroughput(trainedTokens: 0, seconds: 0.001).tokensPerSecond)
        XCTAssertNil(UpdateThroughput(trainedTokens: 10, seconds: 0).tokensPerSecond)
    }
}
