// The loss kernel's fixed inputs for one minibatch, laid out [N, S] (N sequences, S padded
// positions), everything except the current log-probs. Optional arrays feed optional
// pieces (decoupled ratio, KL, entropy, staleness, selection); `validate(for:)` checks
// shapes, finiteness and that every input the configuration needs is present.

import Rollout

/// One minibatch's inputs.
package struct TokenBatch: Sendable {
    package let count: Int
    package let length: Int
    /// log μ per position `[N·S]` (0 where the mask is 0).
    package var behaviourLogProbs: [Float]
    /// 1 where the position holds a completion token that counts in the loss.
    package var mask: [Float]
    /// One advantage per sequence `[N]`.
    package var advantages: [Float]

    /// Rewards and group ids `[N]` (DAPO dynamic sampling, ETR group scale, D³S, metrics).
    package var rewards: [Float]?
    package var groupIDs: [Int32]?
    /// Behaviour policy version `v_b` per sequence `[N]`.
    package var versions: [PolicyVersion]?
    /// The learner's version `v` (staleness `s = v − v_b`).
    package var learnerVersion: PolicyVersion?
    /// AReaL interpolation versions: proximal (default `v`) and current θ (default `v + 1`) (§4.10).
    package var proximalVersion: PolicyVersion?
    package var thetaVersion: PolicyVersion?
    /// log π_prox per position (reference `decoupled`).
    package var proximalLogProbs: [Float]?
    /// log π_ref per position (k3 KL, `kl_coef > 0`).
    package var referenceLogProbs: [Float]?
    /// Entropy H per position (entropy bonus, D³S token selection, metrics).
    package var entropy: [Float]?
    /// Exact KL(π_θ ‖ π_k) per position (MDPO `previous_kl = input`).
    package var previousKL: [Float]?
    /// Last-layer curvature `(e_y − p)ᵀ(diag p − p pᵀ)(e_y − p)` per position (CAPO; optional).
    package var curvature: [Float]?
    /// Statistics of the advantage computation, copied into the metrics.
    package var advantageStats: AdvantageStats?
    /// True for a demonstration row `[N]` (no behaviour policy; Demonstrations.swift); nil = none.
    package var demonstration: [Bool]?

    package init(count: Int, length: Int, behaviourLogProbs: [Float], mask: [Float], advantages: [Float]) {
        self.count = count; self.length = length
        self.behaviourLogProbs = behaviourLogProbs; self.mask = mask; self.advantages = advantages
    }

    /// Shapes and finiteness of every given input (no configuration needed).
    package func validate() throws {
        let n = count * length
        guard count >= 0, length >= 0 else { throw ObjectiveError.shapeMismatch("negative count or length") }
        func check(_ a: [Float]?, _ name: String, _ size: Int) throws {
            guard let a else { return }
            guard a.count == size else { throw ObjectiveError.shapeMismatch("\(name): expected \(size) values, got \(a.count)") }
            if let i = a.firstIndex(where: { !$0.isFinite }) { throw ObjectiveError.nonFinite(what: name, index: i, value: a[i]) }
        }
        try check(behaviourLogProbs, "behaviour_logprobs", n)
        try check(mask, "loss_mask", n)
        try check(advantages, "advantages", count)
        try check(rewards, "rewards", count)
        try check(proximalLogProbs, "proximal_logprobs", n)
        try check(referenceLogProbs, "reference_logprobs", n)
        try check(entropy, "entropy", n)
        try check(previousKL, "previous_kl", n)
        try check(curvature, "curvature", n)
        if let g = groupIDs, g.count != count { throw ObjectiveError.shapeMismatch("group_ids: expected \(count), got \(g.count)") }
        if let v = versions, v.count != count { throw ObjectiveError.shapeMismatch("policy_versions: expected \(count), got \(v.count)") }
        if let d = demonstration, d.count != count { throw ObjectiveError.shapeMismatch("demonstration: expected \(count), got \(d.count)") }
        if let i = mask.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw ObjectiveError.invalidSetting("loss_mask[\(i)] = \(mask[i]); must be 0 or 1")
        }
    }

    /// Also checks that every input `config` needs is present.
    package func validate(for config: ObjectiveConfig) throws {
        try validate()
        func need(_ ok: Bool, _ what: String) throws { if !ok { throw ObjectiveError.missingInput(what) } }
        try need(config.reference != .decoupled || proximalLogProbs != nil, "proximal_logprobs (reference = decoupled)")
        if config.reference == .decoupledInterp {
            try need(versions != nil && learnerVersion != nil, "policy_versions and learner_version (reference = decoupled-interp)")
        }
        try need(config.klCoef == 0 || referenceLogProbs != nil, "reference_logprobs (kl_coef = \(config.klCoef); set kl_coef=0 to disable)")
        try need(!config.safe || referenceLogProbs != nil, "reference_logprobs (safe: its controller sets the KL coefficient)")
        try need(!config.safe || rewards != nil, "rewards (safe: its PID loop follows the reward velocity)")
        try need(config.entropyCoef == 0 || entropy != nil, "entropy (entropy_coef = \(config.entropyCoef))")
        try need(!config.needsEntropy || entropy != nil, "entropy (\(config.entropyReaders.joined(separator: ", ")))")
        try need(!config.calibrationAdvantage || (rewards != nil && groupIDs != nil), "rewards and group_ids (calibration_advantage)")
        try need(!config.oblrBaseline || (rewards != nil && groupIDs != nil), "rewards and group_ids (oblr_baseline)")
        try need(config.adoraLambda == nil || groupIDs != nil, "group_ids (adora_lambda)")
        try need(config.previousKL != .input || previousKL != nil, "previous_kl (previous_kl = input)")
        try need(config.maskStalenessAbove == nil || (versions != nil && learnerVersion != nil), "policy_versions and learner_version (mask_staleness_above)")
        try need(!config.dynamicSampling || (rewards != nil && groupIDs != nil), "rewards and group_ids (dynamic_sampling)")
        try need(config.d3sSampleKeep == nil || groupIDs != nil, "group_ids (d3s_sample_keep)")
        try need(config.d3sTokenKeep == nil || entropy != nil, "entropy (d3s_token_keep)")
        try need(!(config.bound == .etr && config.etrGroupScale) || (rewards != nil && groupIDs != nil),
                 "rewards and group_ids (etr_group_scale; set etr_group_scale=false to disable)")
    }
}
