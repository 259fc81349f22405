// Supervised warm start (`tributary pretrain`, `run`'s and the experiments' warm starts):
// cross-entropy on demonstrations (`answer + end` after each prompt, Evaluation.swift's
// `demonstrations`) until a held-out criterion (`WarmStartTarget`): greedy accuracy, or the
// accuracy of completions sampled at the rollout temperature, which is what decides whether RL
// groups carry signal (docs/training.md, "Warm start").

import Foundation
import Policy
import Tasks
import Tensor

/// When a warm start stops: a held-out accuracy reached, greedy or sampled.
package struct WarmStartTarget: Sendable, Equatable {
    package enum Metric: String, Sendable, Codable, CaseIterable { case greedy, sampled }
    package var metric: Metric
    package var value: Double
    /// Sampling temperature of the sampled metric (the rollouts').
    package var temperature: Float = 1

    package init(_ metric: Metric, _ value: Double, temperature: Float = 1) {
        self.metric = metric; self.value = value; self.temperature = temperature
    }

    /// `METRIC:VALUE` (`sampled:0.2`, `greedy:0.3`), or a bare value (greedy).
    package init(parsing text: String, temperature: Float = 1) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let metricName = parts.count == 2 ? parts[0] : "greedy"
        guard let metric = Metric(rawValue: metricName) else {
            throw RunError("warm-start target '\(text)': the metric must be greedy or sampled")
        }
        guard let value = Double(parts.last ?? ""), value > 0, value <= 1 else {
            throw RunError("warm-start target '\(text)': the value must be an accuracy in (0, 1]")
        }
        self.init(metric, value, temperature: temperature)
    }

    /// The probability that a group of `g` independent samples, each correct with probability
    /// `p`, mixes right and wrong answers: 1 − pᵍ − (1 − p)ᵍ. With binary rewards these are the
    /// groups with signal (RolloutGroup.hasSignal).
    package static func signalFraction(sampledAccuracy p: Double, groupSize g: Int) -> Double {
        max(0, 1 - pow(p, Double(g)) - pow(1 - p, Double(g)))
    }
}

/// Supervised warm start: cross-entropy on demonstrations (`answer + end` after each prompt).
package enum Pretraining {
    /// Where a warm start ended.
    package struct Outcome: Sendable {
        package var steps: Int
        package var promptCursor: Int
        package var evalGreedyAccuracy: Double
        /// Held-out accuracy of one completion per prompt sampled at the target's temperature
        /// (nil until measured: the target is greedy, or no evaluation ran).
        package var evalSampledAccuracy: Double?
        package var loss: Double

        /// The figure the target is compared with.
        package func value(of metric: WarmStartTarget.Metric) -> Double {
            metric == .greedy ? evalGreedyAccuracy : (evalSampledAccuracy ?? 0)
        }
    }

    /// Steps of `batch` demonstrations (AdamW as given, clip 1.0) until held-out greedy
    /// accuracy on `evalSet`, measured every `evalEvery` steps, reaches `target`, or `maxSteps`.
    package static func run(model: GPT, optimizer: AdamW, task: any VerifiableTask, seed: UInt64, batch: Int,
                           target: Double, maxSteps: Int, evalEvery: Int, evalSet: [Prompt],
                           onStep: (Outcome) -> Void = { _ in }) throws -> Outcome {
        try run(model: model, optimizer: optimizer, task: task, seed: seed, batch: batch, until: WarmStartTarget(.greedy, target),
                maxSteps: maxSteps, evalEvery: evalEvery, evalSet: evalSet, onStep: onStep)
    }

    /// Steps of `batch` demonstrations until `until` holds on `evalSet` (measured every `evalEvery`
    /// steps; both accuracies are measured when the target is sampled), or `maxSteps`. The sampled
    /// evaluation draws one completion per held-out prompt, seeded by the step.
    package static func run(model: GPT, optimizer: AdamW, task: any VerifiableTask, seed: UInt64, batch: Int,
                           until target: WarmStartTarget, maxSteps: Int, evalEvery: Int, evalSet: [Prompt],
                           onStep: (Outcome) -> Void = { _ in }) throws -> Outcome {
        var o = Outcome(steps: 0, promptCursor: 0, evalGreedyAccuracy: 0, evalSampledAccuracy: nil, loss: 0)
        func evaluate() throws {
            o.evalGreedyAccuracy = try Evaluator.greedyAccuracy(model: model, task: task, prompts: evalSet)
            if target.metric == .sampled {
                var rng = Xoshiro256(seed: SplitMix64.mix(seed, 0x3A3F1E, UInt64(o.steps)))
                o.evalSampledAccuracy = try Evaluator.sampledAccuracy(model: model, task: task, prompts: evalSet,
                                                                      temperature: target.temperature, rng: &rng).accuracy
            }
        }
        try evaluate()
        while o.steps < maxSteps && o.value(of: target.metric) < target.value {
            let prompts = (0..<batch).map { task.prompt(seed: seed, index: o.promptCursor + $0, split: .train) }
            o.promptCursor += batch
            o.loss = try step(model: model, optimizer: optimizer, task: task, prompts: prompts, gradClip: 1)
            o.steps += 1
            if o.steps % max(1, evalEvery) == 0 { try evaluate() }
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
