// GHPO's adaptive guidance, the rollout side ("GHPO: Adaptive Guidance for Stable and Efficient
// LLM Reinforcement Learning", ../shared/seeds/papers.txt): "GHPO dynamically calibrates task
// difficulty by employing adaptive prompt refinement to provide targeted guidance", balancing
// "direct imitation learning for problems currently beyond the model's reach with exploration-based
// reinforcement learning for more manageable tasks". The preset is Objectives/GHPO.swift.
//
// [R] Our form (docs/algorithms.md, "ghpo"): a group none of whose G samples is correct is beyond
// the model's reach. Stage k = 1…n (n = `ghpo_stages`) samples it again with the first
//     h_k = max(1, ⌊k/(n+1) · L⌋)   tokens of the reference answer (L tokens, end token excluded)
// appended to the prompt, and stops at the first stage whose group has a correct sample; that group
// replaces the plain one (RolloutGroup.hint = h_k). The hint is prompt: no loss on it, only the
// model's own tokens carry the policy gradient, and the verifier judges hint + completion. A group
// still without a correct sample after stage n stays as it was sampled, unhinted. The paper writes
// the hint into the problem text and lets the model write the whole solution; our tasks have no
// instruction text to carry it, so the hint is a forced prefix of the answer.

import Policy
import Tasks
import Tensor

extension GroupSampler {
    /// Hint length of stage `k` of `stages` for an answer of `length` tokens (0: no hint fits).
    package static func hintLength(stage k: Int, of stages: Int, answerLength length: Int) -> Int {
        guard length > 1, k >= 1, stages >= 1 else { return 0 }
        return min(length - 1, max(1, k * length / (stages + 1)))
    }

    /// Whether any sample of `g` (a group for `prompt`) is correct. A sampler that leaves scoring
    /// to its caller (`scores == false`, composite rewards) asks the task's own verifier.
    func solved(_ g: RolloutGroup, prompt: Prompt) -> Bool {
        if scores { return g.samples.contains { $0.correct } }
        return g.samples.indices.contains { task.verify(prompt: prompt, completion: g.judgedTokens(of: $0).map { Int($0) }).correct }
    }

    /// The GHPO stages over `groups` (sampled for `prompts`, unhinted): every unsolved group is
    /// sampled again with longer hints until one stage solves it or the stages run out. Returns
    /// the number of completions the stages generated.
    func guide(_ groups: inout [RolloutGroup], prompts: [Prompt], model: GPT, rng: inout Xoshiro256) throws -> Int {
        var generated = 0
        var open = groups.indices.filter { !solved(groups[$0], prompt: prompts[$0]) }
        for k in 1...ghpoStages where !open.isEmpty {
            let hints = open.map { Self.hintLength(stage: k, of: ghpoStages, answerLength: prompts[$0].answerTokens.count) }
            let tried = zip(open, hints).filter { $0.1 > 0 }
            if tried.isEmpty { break }
            let again = try sample(tried.map { prompts[$0.0] }, hints: tried.map(\.1), model: model,
                                   version: groups[tried[0].0].version, rng: &rng)
            generated += tried.count * groupSize
            var stillOpen: [Int] = []
            for ((i, _), g) in zip(tried, again) {
                if solved(g, prompt: prompts[i]) { groups[i] = g } else { stillOpen.append(i) }
            }
            open = stillOpen
        }
        return generated
    }
}
