// BackgroundEvaluator: the learner's held-out evaluation on a thread of its own, so the
// training thread never waits for it. At an evaluation step the training thread copies the
// weights (a memcpy) and goes on training; this thread loads the copy into its own model, runs
// greedy accuracy on the fixed held-out prompts, and leaves the result for the training thread
// to collect a step or two later. Only the newest pending copy is evaluated (an older one
// waiting when a newer arrives is dropped: its result would be superseded at once).

import Foundation
import Policy
import Tasks
import Tensor

final class BackgroundEvaluator: @unchecked Sendable {
    /// The accuracy of the weights after `step`.
    struct Result: Sendable, Equatable {
        let step: Int
        let accuracy: Double
    }

    /// The evaluation copy of the policy (only the evaluation thread touches it while running).
    let model: GPT
    private let task: any VerifiableTask
    private let prompts: [Prompt]
    private let thread = JobThread(name: "trib-eval", stackSize: 16 << 20)
    private let lock = NSLock()
    /// The newest weights not evaluated yet; while set, a job to evaluate them is queued.
    private var pending: (step: Int, weights: [Float])?
    private var results: [Result] = []
    private var failure: (any Error)?

    init(config: ModelConfig, task: any VerifiableTask, prompts: [Prompt]) throws {
        model = try GPT(config: config)
        self.task = task
        self.prompts = prompts
    }

    /// Queues the weights of `source` as they are now (after `step`); returns at once.
    func submit(step: Int, weights source: GPT) {
        let copy = Array(source.params.buffer)
        let jobQueued = lock.withLock {
            defer { pending = (step, copy) }
            return pending != nil          // an older copy waits: the job queued for it takes this one instead
        }
        if !jobQueued { thread.submit { [self] in evaluatePending() } }
    }

    /// Results finished since the last call, oldest first; throws an evaluation failure.
    func collect() throws -> [Result] {
        try lock.withLock {
            if let failure { throw failure }
            defer { results = [] }
            return results
        }
    }

    /// Waits until the pending evaluation (if any) is done, then returns what `collect` would.
    func finish() throws -> [Result] {
        thread.waitUntilIdle()
        return try collect()
    }

    /// Ends the thread (after `finish`).
    func close() { thread.close() }

    deinit { thread.close() }   // the thread keeps only its JobThread alive, not this object

    private func evaluatePending() {
        guard let job = lock.withLock({ () -> (step: Int, weights: [Float])? in
            defer { pending = nil }
            return pending
        }) else { return }
        do {
            _ = job.weights.withUnsafeBufferPointer { model.params.buffer.update(fromContentsOf: $0) }
            let result = Result(step: job.step, accuracy: try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts))
            lock.withLock { results.append(result) }
        } catch {
            lock.withLock { if failure == nil { failure = error } }
        }
    }
}
