// Honest training throughput (issue 13 §5): tokens that went through an optimizer step, over
// the time the update took. A minibatch skipped for lack of signal (all advantages zero)
// trains no tokens, and a step without any optimizer step has no throughput at all (nil),
// rather than its tokens counted over a near-zero time.

import Foundation
import Objectives
import Rollout

/// The training throughput of one update.
package struct UpdateThroughput: Codable, Sendable, Equatable {
    /// Loss-masked (completion) tokens of the minibatches that had an optimizer step, summed
    /// over epochs.
    package var trainedTokens: Int
    /// Seconds the update (`PolicyTrainer.update`) took.
    package var seconds: Double
    /// `trainedTokens / seconds`, or nil when the step had no optimizer step.
    package var tokensPerSecond: Double? {
        trainedTokens > 0 && seconds > 0 ? Double(trainedTokens) / seconds : nil
    }

    package init(trainedTokens: Int, seconds: Double) { self.trainedTokens = trainedTokens; self.seconds = seconds }

    /// The tokens an update of `batch` trained, given how many optimizer steps it reports.
    /// Replays the minibatch schedule (`PolicyTrainer.schedule`): a minibatch counts when it has
    /// a non-zero advantage (the ones `skipZeroAdvantage` steps on). When the trainer stepped on
    /// a different number of minibatches than that (skipping disabled), the tokens are the
    /// batch's in proportion to the minibatches stepped.
    package static func trainedTokens(_ batch: TrainingBatch, epochs: Int, minibatches: Int, shuffleSeed: UInt64,
                                     optimizerSteps: Int, skippedMinibatches: Int) -> Int {
        guard optimizerSteps > 0, batch.count > 0 else { return 0 }
        let L = batch.length
        func tokens(_ row: Int) -> Int {
            var n = 0
            for t in (row * L)..<((row + 1) * L) where batch.lossMask[t] != 0 { n += 1 }
            return n
        }
        let perRow = (0..<batch.count).map(tokens)
        let plan = PolicyTrainer.schedule(count: batch.count, epochs: epochs, minibatches: minibatches, shuffleSeed: shuffleSeed)
            .filter { !$0.isEmpty }
        let stepped = plan.filter { rows in rows.contains { batch.advantages[$0] != 0 } }
        if stepped.count == optimizerSteps {
            return stepped.reduce(0) { acc, rows in acc + rows.reduce(0) { $0 + perRow[$1] } }
        }
        let all = perRow.reduce(0, +) * epochs
        return all * optimizerSteps / max(1, optimizerSteps + skippedMinibatches)
    }
}
