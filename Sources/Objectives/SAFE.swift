// SAFE – "SAFE: Stable Alignment Finetuning with Entropy-Aware Predictive Control for RLHF"
// (papers.txt). The abstract [P]: "entropy-gated KL regulation, and PID-controlled adaptive
// thresholds … SAFE distinguishes high-entropy exploration from low-entropy mode collapse and
// adjusts penalties dynamically based on reward velocity". The controller follows the
// authors' public notebook (ryyzn9/SAFE, notebooks/mainD.py); its double soft-min critic has no
// place in a critic-free group learner and is left out. Per optimiser step k, with the batch's
// mean k3 KL to the reference, exact mean entropy H and mean reward r:
//   KL_s ← 0.9·KL_s + 0.1·KL                          short-timescale KL (from 0)
//   r̄ ← 0.95·r̄ + 0.05·r;  e = (r̄_new − r̄_old) − 0.001 reward velocity error (first step: none)
//   I ← clip(I + e, −1, 1);  u = K_p·e + K_i·I + K_d·(e − e_prev)
//   phase ∈ {warm-up ×1.5 (< 50 steps), climbing ×1.2 (mean of the last 50 rewards above the
//            50 before by > 0.01), converged ×1.0 (std < 0.02 and mean > 0.7), plateau ×0.8}
//   τ = clip((τ₀ + u)·phase, 0.1, 0.6)                  the adaptive threshold
//   gate = max(0.5, H_floor/(H + 0.1))                  low entropy amplifies the penalty
//   penalty = s·max(0, KL_s − τ)²·gate                  (s = safe_penalty_scale = 0.1)
// In the notebook the penalty enters the loss as a detached number, which moves no weight.
// Our form [R]: its derivative at the smoothed KL becomes the coefficient of the k3 KL term,
//   β_{k+1} = 2·s·max(0, KL_s − τ)·gate,   loss += (kl_coef + β_k)·agg(k3)
// so the controlled coefficient is what the PID loop sets (ObjectiveState.safe); the k3 term
// itself is GRPO.swift's.
// The preset: the authors' controller (τ₀ 0.3, entropy floor 2, PID 0.3/0.01/0.05, scale 0.1) on the
// k3 KL coefficient [R for its gradient form], entropy bonus 0.01 as in their code.

import Foundation

extension PresetInfo {
    static let safe = PresetInfo(name: "safe", paper: "SAFE: Stable Alignment Finetuning with Entropy-Aware Predictive Control for RLHF",
                                 reference: "docs/algorithms.md safe, SAFE.swift", reconstructed: true) { c in
        c.safe = true; c.entropyCoef = 0.01
    }
}

/// SAFE in the kernel: 7. its panel entries (before the k3 term, which reads the coefficient);
/// after each step with tokens, one controller step.
struct SAFEController: KernelStage {
    func regularise(_ p: inout KernelPass) {
        fillSAFEMetrics(&p.m, state: p.state.safe, batch: p.batch)
    }

    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {
        let m = result.metrics
        guard m.tokens > 0 else { return }
        var s = state.safe ?? SAFEState()
        s.update(kl: m.klReference ?? 0, entropy: m.entropy ?? 0, reward: m.rewardMean ?? 0, config: config)
        state.safe = s
    }
}

extension KernelPass {
    /// SAFE's controlled KL coefficient β_k, added to `kl_coef` (0 when SAFE is off).
    var safeKLCoefficient: Double { config.safe ? state.safe?.coefficient ?? 0 : 0 }
}

/// SAFE's controller state (saved in trainer_state.json with the rest of ObjectiveState).
package struct SAFEState: Codable, Sendable, Equatable {
    /// Short-timescale KL (EMA 0.9) and the reward EMA (0.95; nil before the first step).
    package var klShort = 0.0
    package var rewardEMA: Double? = nil
    /// PID integral (clipped to ±1) and the previous error.
    package var integral = 0.0
    package var previousError = 0.0
    /// The last 100 batch rewards (phase detection).
    package var rewards: [Double] = []
    /// Threshold τ, entropy gate and KL coefficient β set by the last update (β used by the next step).
    package var threshold = 0.0
    package var gate = 1.0
    package var coefficient = 0.0
    /// 0 warm-up, 1 climbing, 2 plateau, 3 converged.
    package var phase = 0

    package init() {}

    /// Phase of the reward history and its threshold multiplier.
    static func phase(_ r: [Double]) -> (phase: Int, multiplier: Double) {
        guard r.count >= 50 else { return (0, 1.5) }
        let recent = Array(r.suffix(50))
        let old = r.count >= 100 ? Array(r.suffix(100).prefix(50)) : recent
        let mean = recent.reduce(0, +) / 50, oldMean = old.reduce(0, +) / Double(old.count)
        let std = (recent.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 50).squareRoot()
        if mean > oldMean + 0.01 { return (1, 1.2) }
        if std < 0.02 && mean > 0.7 { return (3, 1.0) }
        return (2, 0.8)
    }

    /// One controller step after an optimiser step with batch KL `kl`, entropy `entropy`, reward `reward`.
    package mutating func update(kl: Double, entropy: Double, reward: Double, config c: ObjectiveConfig) {
        klShort = 0.9 * klShort + 0.1 * kl
        rewards.append(reward)
        if rewards.count > 100 { rewards.removeFirst(rewards.count - 100) }
        let ph = Self.phase(rewards)
        phase = ph.phase
        var u = 0.0
        if let old = rewardEMA {
            let ema = 0.95 * old + 0.05 * reward
            rewardEMA = ema
            let e = (ema - old) - 0.001
            integral = min(1, max(-1, integral + e))
            u = Double(c.safeKp) * e + Double(c.safeKi) * integral + Double(c.safeKd) * (e - previousError)
            previousError = e
        } else {
            rewardEMA = reward
        }
        threshold = min(0.6, max(0.1, (Double(c.safeThreshold) + u) * ph.multiplier))
        gate = max(0.5, Double(c.safeEntropyFloor) / (entropy + 0.1))
        coefficient = 2 * Double(c.safePenaltyScale) * max(0, klShort - threshold) * gate
    }
}

/// SAFE's panel entries: the coefficient β this step uses, the controller's threshold, smoothed KL,
/// gate and phase, and the batch's mean reward over sequences with a loss token (the controller's input).
func fillSAFEMetrics(_ m: inout ObjectiveMetrics, state: SAFEState?, batch: TokenBatch) {
    let st = state ?? SAFEState()
    m.safeKLCoef = st.coefficient; m.safeThreshold = st.threshold; m.safeKLShort = st.klShort
    m.safeEntropyGate = st.gate; m.safePhase = Double(st.phase)
    guard let r = batch.rewards else { return }
    let S = batch.length
    let active = (0..<batch.count).filter { i in (0..<S).contains { batch.mask[i * S + $0] != 0 } }
    m.rewardMean = active.isEmpty ? 0 : active.reduce(0) { $0 + Double(r[$1]) } / Double(active.count)
}
