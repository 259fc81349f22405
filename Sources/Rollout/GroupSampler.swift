// Sampling and scoring groups: G completions per prompt from the policy (one batched,
// KV-cached generation for all prompts × G), each scored by the task's verifier. This is
// the rollout half of GRPO, shared by the single-process trainer and the rollout worker.
// With GHPO guidance on (`ghpoStages > 0`), groups without a correct sample are sampled again
// with hints (Guidance.swift).

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
    /// GHPO guidance (Guidance.swift): hint stages for groups with no correct sample; 0 = none.
    package var ghpoStages: Int = 0

    package init(task: any VerifiableTask, groupSize: Int, temperature: Float = 1, topK: Int? = nil, scores: Bool = true) {
        self.task = task; self.groupSize = groupSize; self.temperature = temperature; self.topK = topK; self.scores = scores
    }

    /// Samples `groupSize` completions for each prompt with `model` (policy version
    /// `version`) and scores them, then runs the GHPO hint stages when they are on.
    /// Deterministic given `rng`.
    package func sample(_ prompts: [Prompt], model: GPT, version: PolicyVersion, rng: inout Xoshiro256) throws -> [RolloutGroup] {
        try sampleCounted(prompts, model: model, version: version, rng: &rng).groups
    }

    /// `sample`, and how many completions it generated: `groupSize` per prompt, plus those of
    /// the GHPO stages (what a rollout budget counts).
    package func sampleCounted(_ prompts: [Prompt], model: GPT, version: PolicyVersion,
                               rng: inout Xoshiro256) throws -> (groups: [RolloutGroup], completions: Int) {
        var groups = try sample(prompts, hints: Array(repeating: 0, count: prompts.count), model: model, version: version, rng: &rng)
        var completions = prompts.count * groupSize
        if ghpoStages > 0 { completions += try guide(&groups, prompts: prompts, model: model, rng: &rng) }
        return (groups, completions)
    }

    /// The task's demonstration for `p` as the group's reference, or none when it is longer than a
    /// completion may be (a JSONL task's `max_new_tokens` below its longest answer): the learner
    /// refuses a reference that no sample could equal (PROTOCOL.md §6.5.3).
    func reference(for p: Prompt) -> [Int32] {
        let d = task.demonstration(for: p)
        return d.count <= task.maxCompletionTokens ? d.map { Int32($0) } : []
    }

    /// One group per prompt, prompt i continued by the first `hints[i]` tokens of its reference
    /// answer; one generation per distinct hint length (the completion budget shrinks by the hint).
    func sample(_ prompts: [Prompt], hints: [Int], model: GPT, version: PolicyVersion, rng: inout Xoshiro256) throws -> [RolloutGroup] {
        let sampler = Sampler(model: model)
        var groups = [RolloutGroup?](repeating: nil, count: prompts.count)
        for h in Set(hints).sorted() {
            let ids = prompts.indices.filter { hints[$0] == h }
            let opts = SamplingOptions(temperature: temperature, topK: topK, maxNewTokens: max(1, task.maxCompletionTokens - h),
                                       endToken: Int32(task.tokenizer.end))
            var inputs: [[Int32]] = []
            inputs.reserveCapacity(ids.count * groupSize)
            for i in ids {
                let toks = (prompts[i].tokens + prompts[i].answerTokens.prefix(h)).map { Int32($0) }
                for _ in 0..<groupSize { inputs.append(toks) }
            }
            let completions = try sampler.generate(prompts: inputs, options: opts, rng: &rng)
            for (j, i) in ids.enumerated() {
                let p = prompts[i]
                var g = RolloutGroup(promptIndex: p.index, prompt: inputs[j * groupSize], version: version, samples: [],
                                     reference: reference(for: p), hint: h)
                for c in completions[(j * groupSize)..<((j + 1) * groupSize)] {
                    g.samples.append(ScoredSample(tokens: c.tokens, logProbs: c.logProbs, reward: 0, correct: false, finish: c.finishReason))
                }
                if scores {
                    for s in g.samples.indices {
                        let v = task.verify(prompt: p, completion: g.judgedTokens(of: s).map { Int($0) })
                        g.samples[s].reward = v.reward; g.samples[s].correct = v.correct
                    }
                }
                groups[i] = g
            }
        }
        return groups.map { $0! }
    }
}
