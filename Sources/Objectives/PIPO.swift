// PIPO – "Policy Improvement Reinforcement Learning" (papers.txt; ALGORITHMS.md §5.9). The
// abstract [P]: "At each iteration, PIPO evaluates whether the previous update yielded genuine
// improvement against a sliding-window historical baseline, then actively reinforces beneficial
// updates and suppresses the harmful ones -- transforming an open-loop process into a
// self-correcting one." How the check is measured and how an update is reinforced is not in the
// abstract. Our form [R] (docs/algorithms.md "pipo"), per update k (one training batch, all its
// optimiser steps), with r̄_k the batch's mean reward and H the mean rewards of the last W updates:
//   Δ_k = r̄_k − mean(H),  σ_H = std(H) (population)          (|H| ≥ 2; else no check: scale 1)
//   s_k = 1 + β·tanh(Δ_k / (σ_H + 10⁻⁶))   ∈ (1 − β, 1 + β)   (β = pipo_beta 0.5, W = pipo_window 8)
//   the update's learning rate × s_k;  then H ← last W of (H, r̄_k)
// The batch at update k was sampled after update k − 1, so Δ_k says whether the updates since the
// window's batches improved the policy: larger steps after an improvement, smaller after a
// regression. Applied to the learning rate, not the loss: AdamW's normalised step and the
// gradient-norm clip undo a constant loss scale. The window is `ObjectiveState.pipoHistory`; the
// trainer applies s_k (`ObjectiveConfig.learningRateScale`, ObjectiveState.swift) and records r̄_k
// (`ObjectiveState.update(afterUpdate:config:)`). The loss itself is GRPO's (GRPO.swift), so the
// kernel is row-separable. Under staleness r̄_k measures the batch's behaviour versions, so the
// feedback lags by the staleness.

import Foundation

extension PresetInfo {
    static let pipo = PresetInfo(name: "pipo", paper: "Policy Improvement Reinforcement Learning",
                                 reference: "§5.9, PIPO.swift", reconstructed: true) { c in
        c.pipoBeta = 0.5
    }
}

/// PIPO's feedback: the learning-rate factor from the batch's mean reward against the window, and
/// after the update, the window.
struct PIPOFeedback: KernelStage {
    func scaleLearningRate(_ s: inout LearningRateScale, state: ObjectiveState, config: ObjectiveConfig, meanReward: Double?) {
        guard let beta = config.pipoBeta, let r = meanReward else { return }
        let f = pipoScale(meanReward: r, history: state.pipoHistory ?? [], beta: Double(beta))
        s.pipoDelta = f.delta
        s.pipoScale = f.scale
        s.value *= f.scale
    }

    func afterUpdate(_ state: inout ObjectiveState, observation: UpdateObservation, config: ObjectiveConfig) {
        guard let r = observation.meanReward else { return }
        var h = state.pipoHistory ?? []
        h.append(r)
        if h.count > config.pipoWindow { h.removeFirst(h.count - config.pipoWindow) }
        state.pipoHistory = h
    }
}

/// PIPO's improvement Δ = r̄ − mean(history) and its factor 1 + β·tanh(Δ/(σ + 10⁻⁶)); with fewer
/// than 2 past rewards there is no baseline: Δ = nil and factor 1.
package func pipoScale(meanReward r: Double, history h: [Double], beta: Double) -> (delta: Double?, scale: Double) {
    guard h.count >= 2 else { return (nil, 1) }
    let mean = h.reduce(0, +) / Double(h.count)
    let sigma = (h.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(h.count)).squareRoot()
    let delta = r - mean
    return (delta, 1 + beta * tanh(delta / (sigma + 1e-6)))
}
