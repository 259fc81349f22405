// BackgroundEvaluator: the learner's held-out evaluation on a thread of its own, so the
// training thread never waits for it. At an evaluation step the training thread copies the
// weights (a memcpy) and goes on training; this thread loads the copy into its own model, runs
// greedy accuracy on the fixed held-out prompts and, when asked, sampled accuracy at the
// rollouts' temperature (what the policy-gradient reward sees) with the calibration of those
// same completions' sequence probability against correctness (AUC, ECE; `Evaluator.sampled`,
// one pass, no extra sampling), and leaves the result for the training thread to collect a
// step or two later. Greedy accuracy is teacher-forced exact match (`Evaluator.greedyAccuracy`)
// for tasks judged by exact match, and real greedy decoding judged by the task's verifier for
// tasks with a composite reward, whose `correct` rule need not be exact match. Only the newest
// pending copy is evaluated (an older one waiting when a newer arrives is dropped: its result
// would be superseded at once).

import Foundation
import Policy
import Tasks
import Tensor

/// Held-out evaluation of copies of the weights on a thread of its own (file comment).
package final class BackgroundEvaluator: @unchecked Sendable {
    /// The accuracy of the weights after `step`.
    package struct Result: Sendable, Equatable {
        package let step: Int
        /// Held-out greedy accuracy.
        package let accuracy: Double
        /// Fraction of sampled completions judged correct, and their mean reward (nil when not measured).
        package var sampledAccuracy: Double? = nil
        package var sampledReward: Double? = nil
        /// Calibration of the same sampled completions (confidence = the sequence probability
        /// exp(Σ log p) under the distribution sampled from, i.e. at the rollouts' temperature and
        /// top-k; Calibration.swift): AUC against correctness (nil when not measured or when
        /// every completion had the same outcome) and expected calibration error (10 bins; nil
        /// when not measured).
        package var sampledAUC: Double? = nil
        package var sampledECE: Double? = nil
    }

    /// The sampled half of an evaluation: completions per held-out prompt and how they are drawn.
    package struct Sampling: Sendable {
        package var perPrompt: Int
        package var temperature: Float
        package var topK: Int?
        package var seed: UInt64

        /// `total` sampled completions spread evenly over `prompts` prompts (at least one each);
        /// nil when `total` is 0 (no sampled evaluation).
        package init?(total: Int, prompts: Int, temperature: Float, topK: Int?, seed: UInt64) {
            guard total > 0, prompts > 0 else { return nil }
            perPrompt = (total + prompts - 1) / prompts
            self.temperature = temperature; self.topK = topK; self.seed = seed
        }
    }

    /// The evaluation copy of the policy (only the evaluation thread touches it while running).
    package let model: GPT
    private let task: any VerifiableTask
    private let prompts: [Prompt]
    private let sampling: Sampling?
    private let thread = JobThread(name: "trib-eval", stackSize: 16 << 20)
    private let lock = NSLock()
    /// The newest weights not evaluated yet; while set, a job to evaluate them is queued.
    private var pending: (step: Int, weights: [Float])?
    private var results: [Result] = []
    private var failure: (any Error)?

    /// An evaluator of `prompts` under `task` for models shaped like `config`.
    package init(config: ModelConfig, task: any VerifiableTask, prompts: [Prompt], sampling: Sampling? = nil) throws {
        model = try GPT(config: config)
        self.task = task
        self.prompts = prompts
        self.sampling = sampling
    }

    /// Queues the weights of `source` as they are now (after `step`); returns at once.
    package func submit(step: Int, weights source: GPT) {
        let copy = Array(source.params.buffer)
        let jobQueued = lock.withLock {
            defer { pending = (step, copy) }
            return pending != nil          // an older copy waits: the job queued for it takes this one instead
        }
        if !jobQueued { thread.submit { [self] in evaluatePending() } }
    }

    /// Results finished since the last call, oldest first; throws an evaluation failure.
    package func collect() throws -> [Result] {
        try lock.withLock {
            if let failure { throw failure }
            defer { results = [] }
            return results
        }
    }

    /// Waits until the pending evaluation (if any) is done, then returns what `collect` would.
    package func finish() throws -> [Result] {
        thread.waitUntilIdle()
        return try collect()
    }

    /// Ends the thread (after `finish`).
    package func close() { thread.close() }

    deinit { thread.close() }   // the thread keeps only its JobThread alive, not this object

    private func evaluatePending() {
        guard let job = lock.withLock({ () -> (step: Int, weights: [Float])? in
            defer { pending = nil }
            return pending
        }) else { return }
        do {
            _ = job.weights.withUnsafeBufferPointer { model.params.buffer.update(fromContentsOf: $0) }
            let greedy = task.rewards == nil
                ? try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts)
                : try Evaluator.decodedGreedyAccuracy(model: model, task: task, prompts: prompts)
            var result = Result(step: job.step, accuracy: greedy)
            if let s = sampling {
                // Seeded by the step: the same weights evaluated again draw the same completions.
                var rng = Xoshiro256(seed: SplitMix64.mix(s.seed, 0xE7A15, UInt64(job.step)))
                let repeated = prompts.flatMap { Array(repeating: $0, count: s.perPrompt) }
                let sampled = try Evaluator.sampled(model: model, task: task, prompts: repeated,
                                                    temperature: s.temperature, topK: s.topK, rng: &rng)
                result.sampledAccuracy = sampled.accuracy
                result.sampledReward = sampled.reward
                result.sampledAUC = sampled.calibration.auc
                result.sampledECE = sampled.calibration.ece
            }
            lock.withLock { results.append(result) }
        } catch {
            lock.withLock { if failure == nil { failure = error } }
        }
    }
}
