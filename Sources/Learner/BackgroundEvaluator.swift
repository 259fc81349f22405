// BackgroundEvaluator: the learner's held-out evaluation on a thread of its own, so the
// training thread never waits for it. At an evaluation step the training thread copies the
// weights (a memcpy) and goes on training; this thread loads the copy into its own model, runs
// greedy accuracy on the fixed held-out prompts, and leaves the result for the training thread
// to collect a step or two later. Only the newest pending copy is evaluated (an older one
// waiting when a newer arrives is dropped: its result would be superseded at once).

import Foundation
import Policy
import Tasks

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
    private let cond = NSCondition()
    private var pending: (step: Int, weights: [Float])?
    private var results: [Result] = []
    private var busy = false
    private var closed = false
    private var failure: (any Error)?

    init(config: ModelConfig, task: any VerifiableTask, prompts: [Prompt]) throws {
        model = try GPT(config: config)
        self.task = task
        self.prompts = prompts
        let t = Thread { [self] in
            Thread.current.name = "trib-eval"   // from inside and ≤ 15 bytes, or Linux drops it
            loop()
        }
        t.stackSize = 16 << 20
        t.start()
    }

    /// Queues the weights of `source` as they are now (after `step`); returns at once.
    func submit(step: Int, weights source: GPT) {
        let copy = Array(source.params.buffer)
        cond.lock(); defer { cond.unlock() }
        pending = (step, copy)
        cond.broadcast()
    }

    /// Results finished since the last call, oldest first; throws an evaluation failure.
    func collect() throws -> [Result] {
        cond.lock(); defer { cond.unlock() }
        if let failure { throw failure }
        defer { results = [] }
        return results
    }

    /// Waits until the pending evaluation (if any) is done, then returns what `collect` would.
    func finish() throws -> [Result] {
        cond.lock()
        while pending != nil || busy { cond.wait() }
        cond.unlock()
        return try collect()
    }

    /// Ends the thread (after `finish`).
    func close() {
        cond.lock(); closed = true; cond.broadcast(); cond.unlock()
    }

    private func loop() {
        while true {
            cond.lock()
            while pending == nil && !closed { cond.wait() }
            guard let job = pending else { cond.unlock(); return }
            pending = nil
            busy = true
            cond.unlock()
            var result: Result?
            var error: (any Error)?
            do {
                _ = job.weights.withUnsafeBufferPointer { model.params.buffer.update(fromContentsOf: $0) }
                result = Result(step: job.step, accuracy: try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts))
            } catch let e { error = e }
            cond.lock()
            if let result { results.append(result) }
            if let error, failure == nil { failure = error }
            busy = false
            cond.broadcast()
            cond.unlock()
        }
    }
}
