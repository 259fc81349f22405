// Sampling and scoring groups: G completions per prompt from the policy (one batched,
// KV-cached generation for all prompts × G), each scored by the task's verifier. This is
// the rollout half of GRPO, shared by the single-process trainer and the rollout worker.

import Policy
import Tasks
import Tensor

/// Generates and scores groups of completions.
package struct GroupSampler {
    package var task: any VerifiableTask
    package var groupSize: Int
    package var temperature: Float
    package var topK: Int?
    /// False: leave reward 0 and `correct` false for the caller to score (a worker scores a
    /// composite reward group by group, asynchronously, after sampling).
    package var scores: Bool
    /// GHPO guidance (Rollout/Guidance.swift): hint stages for groups with no correct sample; 0 = none.
    package var ghpoStages: Int = 0

    package init(task: any VerifiableTask, groupSize: Int, temperature: Float = 1, topK: Int? = nil, scores: Bool = true) {
        self.task = task; self.groupSize = groupSize; self.temperature = temperature; self.topK = topK; self.scores = scores
    }

    /// Samples `groupSize` completions for each prompt with `model` (policy version
    /// `version`) and scores them. Deterministic given `rng`.
    package func sample(_ prompts: [Prompt], model: GPT, version: PolicyVersion, rng: inout Xoshiro256) throws -> [RolloutGroup] {
        let sampler = Sampler(model: model)
        let opts = SamplingOptions(temperature: temperature, topK: topK, maxNewTokens: task.maxCompletionTokens,
                                   endToken: Int32(task.tokenizer.end))
        var inputs: [[Int32]] = []
        inputs.reserveCapacity(prompts.count * groupSize)
        for p in prompts {
            let toks = p.tokens.map { Int32($0) }
            for _ in 0..<groupSize { inputs.append(toks) }
        }
        let completions = try sampler.generate(prompts: inputs, options: opts, rng: &rng)
        var groups: [RolloutGroup] = []
        groups.reserveCapacity(prompts.count)
        for (i, p) in prompts.enumerated() {
            var samples: [ScoredSample] = []
            for c in completions[(i * groupSize)..<((i + 1) * groupSize)] {
                let verdict = scores ? task.verify(prompt: p, completion: c.tokens.map { Int($0) }) : Verdict(reward: 0, correct: false)
                samples.append(ScoredSample(tokens: c.tokens, logProbs: c.logProbs, reward: verdict.reward,
                                            correct: verdict.correct, finish: c.finishReason))
            }
            groups.append(RolloutGroup(promptIndex: p.index, prompt: p.tokens.map { Int32($0) }, version: version, samples: samples,
                                       reference: task.demonstration(for: p).map { Int32($0) }))
        }
        return groups
    }
}
