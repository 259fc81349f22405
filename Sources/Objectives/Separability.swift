// Which objective configurations are row-separable: the kernel's dLoss/dlog π for one sequence
// depends on the other sequences only through inputs known before any forward pass (advantages,
// masks and the token counts of the aggregation's normaliser, rewards and group ids for selection,
// versions, behaviour / proximal / reference log-probs, the cross-step state). A learner may then
// run the objective per row pass, with the rows not yet forwarded holding any finite placeholder,
// and take each pass's log-prob gradient straight into its backward (PolicyTrainer). The loss and
// the metrics still need every row's log-probs, so they come from one kernel call at the end.
//
// Kernel pieces and why they are separable (Kernel.swift's numbering):
//   1. staleness mask (versions), DAPO dynamic sampling (rewards), D³S sample level (advantages);
//   2. π_prox: behaviour, supplied, or interpolated per token from that token's own log-prob;
//   3. token ratios, or sequence ratios summed over the sequence's own tokens;
//   5. staleness weights from π_prox/μ (per token or per sequence); aggregation weights from the
//      mask only (token-mean divides by the batch's masked-token count, a constant);
//   6. clip / ETR (windows from advantages and group rewards) / MHPO / bounded ratio: per token;
//   6. ADORA's weights: from advantages, group ids and loss-mask lengths (ADORA.swift);
//   7. k3 to the reference, MDPO's sampled KL (coefficient from the step), entropy bonus: per token;
//      MDPO's exact KL (`previous_kl = input`): per position from the row's own forward and π_k's
//      forward on that row (the trainer runs π_k with each pass), dLoss/dKL from the mask;
//   OBLR-PO's SNR learning rate and PIPO's feedback act on the learning rate of the whole update,
//   not on the kernel's gradient (ObjectiveState.swift);
//   demonstration rows (Demonstrations.swift): RPO's and HNPG's terms are linear in log π with
//   coefficients from advantages and mask counts, and the pipeline runs on the sampled rows only.
// Not separable (batch statistics of forward outputs):
//   - R²VPO (`bound = variance`): the penalty's gradient uses the batch mean of the ratios;
//   - CAPO (`capo_threshold`): tokens are masked against the batch mean of a ratio-based score;
//   - D³S token level (`d3s_token_keep`): keeps the top fraction of |Â|·H over the batch, with the
//     entropies H from the forward pass.

extension ObjectiveConfig {
    /// Why a sequence's dLoss/dlog π depends on other sequences' log-probs or entropies, naming the
    /// setting; nil when the configuration is row-separable (see the file comment).
    package var rowCoupling: String? {
        if bound == .variance { return "bound = variance: R²VPO's penalty uses the batch mean of the ratios" }
        if capoThreshold != nil { return "capo_threshold: CAPO masks tokens against the batch mean of a ratio-based score" }
        if d3sTokenKeep != nil { return "d3s_token_keep: D³S keeps the batch's top tokens by |Â|·H, H from the forward pass" }
        // (SAFE's coefficient comes from its controller's state, set after the previous step: separable.)
        if epoSmoothing != nil { return "epo_smoothing: EPO's smoothing penalty uses the batch's mean entropy" }
        if empgK != nil { return "empg_k: EMPG normalises entropies over the batch" }
        if dcpoAlpha != nil { return "dcpo_alpha: DCPO sets its temperature from the batch's entropy" }
        if ratioNorm { return "ratio_norm: GRPO-Guard divides by the batch's geometric-mean ratio" }
        if calibrationAdvantage { return "calibration_advantage: advantages from the group's sequence log-likelihoods" }
        if oblrBaseline { return "oblr_baseline: the baseline weighs the group's samples by their probabilities" }
        return nil
    }

    /// True when each sequence's log-prob gradient can be computed from its own log-probs and the
    /// batch's fixed inputs (`rowCoupling == nil`).
    package var isRowSeparable: Bool { rowCoupling == nil }

    /// True when a sequence whose advantage is exactly 0 gets a zero log-prob gradient whatever its
    /// log-probs: no advantage-free term (k3 KL, MDPO KL, entropy bonus, MHPO's hazards, R²VPO's
    /// penalty) and a bounding rule whose term vanishes with Â (clip, ETR, none, bounded ratio).
    /// Such sequences need their log-probs only for the loss value and the metrics.
    package var zeroAdvantageRowsAreInert: Bool {
        guard klCoef == 0, entropyCoef == 0, previousKL == .off, !safe, isRowSeparable else { return false }
        switch bound {
        case .none, .clip, .etr, .boundedRatio: return true
        case .mhpo, .variance: return false
        }
    }
}
