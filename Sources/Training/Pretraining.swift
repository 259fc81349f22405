// Supervised warm start (`tributary pretrain`, the experiments' warm starts): cross-entropy on
// demonstrations (`answer + end` after each prompt, Evaluation.swift's `demonstrations`), with
// held-out greedy accuracy measured every few steps until a target.

import Policy
import Tasks
import Tensor

/// Supervised warm start: cross-entropy on demonstrations (`answer + end` after each prompt).
package enum Pretraining {
    /// Where a warm start ended.
    package struct Outcome: Sendable {
        package var steps: Int
        package var promptCursor: Int
        package var evalGreedyAccuracy: Double
        package var loss: Double
    }

    /// Steps of `batch` demonstrations (AdamW as given, clip 1.0) until held-out greedy
    /// accuracy on `evalSet`, measured every `evalEvery` steps, reaches `target`, or `maxSteps`.
    package static func run(model: GPT, optimizer: AdamW, task: any VerifiableTask, seed: UInt64, batch: Int,
                           target: Double, maxSteps: Int, evalEvery: Int, evalSet: [Prompt],
                           onStep: (Outcome) -> Void = { _ in }) throws -> Outcome {
        var o = Outcome(steps: 0, promptCursor: 0, evalGreedyAccuracy: try Evaluator.greedyAccuracy(model: model, task: task, prompts: evalSet), loss: 0)
        while o.steps < maxSteps && o.evalGreedyAccuracy < target {
            let prompts = (0..<batch).map { task.prompt(seed: seed, index: o.promptCursor + $0, split: .train) }
            o.promptCursor += batch
            o.loss = try step(model: model, optimizer: optimizer, task: task, prompts: prompts, gradClip: 1)
            o.steps += 1
            if o.steps % max(1, evalEvery) == 0 {
                o.evalGreedyAccuracy = try Evaluator.greedyAccuracy(model: model, task: task, prompts: evalSet)
            }
            onStep(o)
        }
        return o
    }

    /// Mean cross-entropy over completion positions of `prompts`, its gradient, clipping and
    /// one AdamW step. Returns the loss.
    @discardableResult
    package static func step(model: GPT, optimizer: AdamW, task: any VerifiableTask, prompts: [Prompt], gradClip: Float) throws -> Double {
        let (seqs, tokens, T) = Evaluator.demonstrations(prompts, task: task)
        var mask = [Float](repeating: 0, count: prompts.count * T)
        for (r, s) in seqs.enumerated() {
            for t in prompts[r].tokens.count..<s.count { mask[r * T + t] = 1 }
        }
        let count = mask.reduce(0, +)
        model.zeroGradients()
        let lp = try model.forward(tokens: tokens, batch: prompts.count, length: T)
        var loss = 0.0
        var dlp = [Float](repeating: 0, count: lp.count)
        for k in 0..<lp.count where mask[k] != 0 {
            loss -= Double(lp[k])
            dlp[k] = -1 / count       // d(−mean log p)/d log p
        }
        try model.backward(dLogProbs: dlp)
        if gradClip > 0 { _ = model.clipGradients(maxNorm: gradClip) }
        try optimizer.update(model)
        return loss / Double(count)
    }
}
