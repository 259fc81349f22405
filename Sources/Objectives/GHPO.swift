// GHPO – "GHPO: Adaptive Guidance for Stable and Efficient LLM Reinforcement Learning"
// (papers.txt; ALGORITHMS.md §5.18). The abstract [P]: GHPO "dynamically calibrates task difficulty
// by employing adaptive prompt refinement to provide targeted guidance", which "adaptively
// balances direct imitation learning for problems currently beyond the model's reach with
// exploration-based reinforcement learning for more manageable tasks".
// GHPO acts where the rollouts are made, not in the loss: a group with no correct sample is
// sampled again with a prefix of the task's reference answer as a hint, in up to `ghpo_stages`
// stages of growing length (Sources/Rollout/Guidance.swift has the rule and its [R] reading).
// The learner sends `ghpo_stages` to its workers in `Welcome` (proto/PROTOCOL.md); `tributary
// train` and `experiment` pass it to their own sampler. The loss is GRPO's (GRPO.swift): a hinted
// group is a group like any other whose prompt ends with the hint. Metrics: the fraction of the
// batch's groups that carry a hint (`ghpo_hinted_fraction`, set by the trainer from the groups).
// The preset: 3 stages (hints of ¼, ½ and ¾ of the answer), as the paper's multi-stage guidance.

import Foundation

extension PresetInfo {
    static let ghpo = PresetInfo(name: "ghpo", paper: "GHPO: Adaptive Guidance for Stable and Efficient LLM Reinforcement Learning",
                                 reference: "§5.18, GHPO.swift", reconstructed: true) { c in
        c.ghpoStages = 3
    }
}
