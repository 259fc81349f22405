// ADORA – "ADORA: Training Reasoning Models with Dynamic Advantage Estimation on Reinforcement
// Learning" (papers.txt; ALGORITHMS.md §5.15). The abstract [P]: ADORA "dynamically adjusts the
// advantage function's weighting by adaptively categorizing training data into temporarily
// advantageous and disadvantageous samples, based on their evolving utility during online model
// rollouts", and plugs into existing policy optimisation "without significant architectural
// modifications". The abstract does not say what the utility is. The authors' public code for
// language models (ShadeCloak/ADORA, the GRPO advantage with a length criterion) [C] measures it by
// response length: a group whose longest correct answer is longer than its wrong answers' mean
// length rewards longer reasoning (advantageous); any other group has its advantages multiplied
// by λ = 0.1. Our form, on top of the advantages the kernel already has (docs/algorithms.md "adora"):
//   per group g of the minibatch, P = {i : Â_i > 0}, N = {i : Â_i < 0}, L_i = loss tokens of i
//   advantageous_g ⇔ N = ∅ or (P ≠ ∅ and max_{i∈P} L_i > mean_{i∈N} L_i)        [C]
//   Â_i ← w_g·Â_i,  w_g = 1 if advantageous_g, else λ        (λ = adora_lambda, 0.1)  [C]
// Groups whose advantages are all 0 are not categorised. The category is recomputed at every step
// from the rollouts in hand (the same prompt moves between categories as the policy changes: the
// "temporarily"); the advantageous rate is tracked across steps as an EMA (decay 0.9) in
// `ObjectiveState.adoraAdvantageousRate` for the panel [R]. Not reproduced: the authors drop
// truncated wrong answers from the mean (the kernel does not see finish reasons), and the paper's
// other criterion (difficulty, for vision-language models) is not in the public code.
// Row-separable: the weights come from advantages, group ids and the loss mask, all known before
// the forward pass. The preset: λ = 0.1 on GRPO (ratio, clip 0.2, token-mean; GRPO.swift).

import Foundation

extension PresetInfo {
    static let adora = PresetInfo(name: "adora", paper: "ADORA: Training Reasoning Models with Dynamic Advantage Estimation on Reinforcement Learning",
                                  reference: "§5.15, ADORA.swift", reconstructed: true) { c in
        c.adoraLambda = 0.1
    }
}

/// 6. Multiplies each group's advantages by its category's weight; after each step, the EMA of the
/// advantageous rate.
struct ADORAWeighting: KernelStage {
    func replaceAdvantages(_ p: inout KernelPass) {
        guard let lambda = p.config.adoraLambda, let ids = p.batch.groupIDs else { return }
        let lengths = (0..<p.N).map { i in (0..<p.S).reduce(0) { $0 + Int(p.batch.mask[i * p.S + $1]) } }
        let out = adoraWeights(advantages: p.seqAdv, groupIDs: ids, lengths: lengths, lambda: Double(lambda))
        p.seqAdv = zip(p.seqAdv, out.weights).map { Float(Double($0) * $1) }
        p.m.adoraAdvantageousRate = p.state.adoraAdvantageousRate
        guard out.categorised > 0 else { return }
        p.m.adoraAdvantageousFraction = Double(out.advantageous) / Double(out.categorised)
        p.m.adoraDisadvantageousFraction = Double(out.categorised - out.advantageous) / Double(out.categorised)
        p.m.adoraWeightMean = out.weightMean
    }

    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {
        guard result.metrics.tokens > 0, let f = result.metrics.adoraAdvantageousFraction else { return }
        state.adoraAdvantageousRate = state.adoraAdvantageousRate.map { 0.9 * $0 + 0.1 * f } ?? f
    }
}

/// ADORA's per-sequence weights: 1 in advantageous groups, `lambda` in disadvantageous ones, 1 in
/// groups with all advantages 0 (not categorised). Also the number of categorised sequences, how
/// many of them are advantageous, and their mean weight (1 when none is categorised).
package func adoraWeights(advantages a: [Float], groupIDs: [Int32], lengths: [Int], lambda: Double)
    -> (weights: [Double], categorised: Int, advantageous: Int, weightMean: Double) {
    var w = [Double](repeating: 1, count: a.count)
    var categorised = 0, advantageous = 0, weightSum = 0.0
    for members in groupMembers(groupIDs) {
        let pos = members.filter { a[$0] > 0 }, neg = members.filter { a[$0] < 0 }
        guard !pos.isEmpty || !neg.isEmpty else { continue }
        let good: Bool
        if neg.isEmpty { good = true } else if pos.isEmpty { good = false } else {
            let longestRight = pos.map { lengths[$0] }.max() ?? 0
            let meanWrong = Double(neg.reduce(0) { $0 + lengths[$1] }) / Double(neg.count)
            good = Double(longestRight) > meanWrong
        }
        for i in members { w[i] = good ? 1 : lambda }
        categorised += members.count
        if good { advantageous += members.count }
        weightSum += Double(members.count) * (good ? 1 : lambda)
    }
    return (w, categorised, advantageous, categorised > 0 ? weightSum / Double(categorised) : 1)
}
