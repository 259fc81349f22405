// Per-step metrics of the loss kernel: the ALGORITHMS.md §6 common panel as far as the kernel
// can compute it (grad-norm, reward and accuracy belong to the learner). Encodes to a flat
// JSON object: scalar keys in snake_case, optional keys only when the piece is active, and
// the staleness histogram as `staleness_count_<s>` / `staleness_weight_<s>` for s = 0…7 and
// `…_8plus`.

/// Staleness buckets: 0, 1, …, 7 and ≥ 8.
package let stalenessBuckets = 9

/// One step's metrics.
package struct ObjectiveMetrics: Sendable, Equatable {
    /// Effective (kept) tokens and sequences with at least one kept token.
    package var tokens = 0
    package var sequences = 0
    /// Fraction of loss-mask tokens removed by the staleness mask / selections.
    package var maskedFraction = 0.0
    /// Loss and its parts: policy term, R²VPO penalty λ·V, β·KL_ref, −coef·H, (1/t)·KL_prev.
    package var loss = 0.0
    package var policyLoss = 0.0
    package var variancePenalty = 0.0
    package var klReferenceTerm = 0.0
    package var entropyTerm = 0.0
    package var previousKLTerm = 0.0
    /// The bounded ratio x (r, u or sequence ratio) over kept tokens.
    package var ratioMean = 0.0
    package var ratioMin = 0.0
    package var ratioMax = 0.0
    package var ratioQ01 = 0.0
    package var ratioQ05 = 0.0
    package var ratioQ50 = 0.0
    package var ratioQ95 = 0.0
    package var ratioQ99 = 0.0
    package var ratioQ999 = 0.0
    /// V_c and V_1 (§2.3).
    package var ratioVarCentral = 0.0
    package var ratioVarOne = 0.0
    /// Fractions of kept tokens whose gradient a bound removed (low / high side, dual clip);
    /// for MHPO and bounded-ratio: which side's hazard / target pulls back.
    package var clipFractionLow = 0.0
    package var clipFractionHigh = 0.0
    package var dualClipFraction = 0.0
    /// Fraction of kept tokens with x outside [1 − ε_low, 1 + ε_high] (compare rules with PPO).
    package var outsideWindowFraction = 0.0
    /// R²VPO: fraction with effective advantage of the opposite sign (§2.4, "braked").
    package var brakedFraction = 0.0
    /// KL(μ ‖ π_θ) estimated from the behaviour samples: k1 = mean(−log r), k3 = mean(r − 1 − log r).
    package var klBehaviourK1 = 0.0
    package var klBehaviourK3 = 0.0
    /// Staleness weights ρ_b: mean, max, truncated and masked fractions.
    package var behaviourWeightMean = 0.0
    package var behaviourWeightMax = 0.0
    package var weightTruncatedFraction = 0.0
    package var weightMaskedFraction = 0.0
    /// Normalised effective sample size (Σe)²/(M Σe²) of e = w·x over kept tokens.
    package var effectiveSampleSize = 0.0

    package var klReference: Double? = nil
    package var entropy: Double? = nil
    package var previousKL: Double? = nil
    package var stalenessMean: Double? = nil
    /// Fraction of active sequences `mask_staleness_above` removed (key kept: `staleness_capped_fraction`).
    package var stalenessCappedFraction: Double? = nil
    package var zeroVarianceGroupFraction: Double? = nil
    package var dynamicSamplingDroppedFraction: Double? = nil
    package var d3sSampleKeep: Double? = nil
    package var d3sTokenKeep: Double? = nil
    package var capoRejectedFraction: Double? = nil
    package var lambda: Double? = nil
    /// The variance the dual step will use (V_c or V_1 of this minibatch).
    package var dualVariance: Double? = nil
    package var betaAlpha: Double? = nil
    package var betaBeta: Double? = nil
    package var mdpoCoefficient: Double? = nil
    package var etrEpsilonMean: Double? = nil
    /// Entropy control (EntropyControl.swift): the batch entropy H_B under the aggregation weights;
    /// EPO's history H̄, coefficients c_k and λ_k and smoothing penalty; EMPG's range of g; DCPO's
    /// weight τ − 1 and target H*; SAFE's coefficient β, threshold τ, smoothed KL, entropy gate,
    /// phase (0 warm-up, 1 climbing, 2 plateau, 3 converged) and the batch's mean reward.
    package var entropyAggregated: Double? = nil
    package var epoEntropyHistory: Double? = nil
    package var epoBonusCoef: Double? = nil
    package var epoSmoothingCoef: Double? = nil
    package var epoSmoothingPenalty: Double? = nil
    package var empgScaleMin: Double? = nil
    package var empgScaleMax: Double? = nil
    package var dcpoCoef: Double? = nil
    package var dcpoTargetEntropy: Double? = nil
    package var safeKLCoef: Double? = nil
    package var safeThreshold: Double? = nil
    package var safeKLShort: Double? = nil
    package var safeEntropyGate: Double? = nil
    package var safePhase: Double? = nil
    package var rewardMean: Double? = nil
    /// GRPO-Guard's log-ratio shift b; calibration-aware PO's within-group AUC of confidence vs
    /// reward and the fraction of pairs its noise mask dropped.
    package var ratioNormShift: Double? = nil
    package var calibrationAUC: Double? = nil
    package var calibrationMaskedPairFraction: Double? = nil
    /// OBLR-PO: mean |b_g − mean_g R| over groups with reward variance.
    package var oblrBaselineShift: Double? = nil
    /// ADORA: fractions of the categorised sequences (groups with a non-zero advantage) in
    /// advantageous and disadvantageous groups, their mean advantage weight, and the EMA of the
    /// advantageous fraction over steps (before this step).
    package var adoraAdvantageousFraction: Double? = nil
    package var adoraDisadvantageousFraction: Double? = nil
    package var adoraWeightMean: Double? = nil
    package var adoraAdvantageousRate: Double? = nil
    /// The learning-rate factors the trainer applied to this update's steps (ObjectiveState.swift's
    /// `LearningRateScale`): OBLR-PO's SNR EMA and factor, PIPO's improvement Δ and factor, and
    /// their product `lr_scale`.
    package var oblrSNR: Double? = nil
    package var oblrLRScale: Double? = nil
    package var pipoDelta: Double? = nil
    package var pipoScale: Double? = nil
    package var lrScale: Double? = nil
    /// GHPO: fraction of the step's groups that were sampled with a hint (GHPO.swift).
    package var ghpoHintedFraction: Double? = nil
    /// Demonstration rows (RPO, HNPG; Demonstrations.swift): their loss-token count, the mean
    /// −log π over those tokens, RPO's term η·NLL, HNPG's off-policy term and the mean advantage
    /// of the demonstrations. Absent when the minibatch has no demonstration row.
    package var demonstrationTokens: Double? = nil
    package var demonstrationNLL: Double? = nil
    package var sftTerm: Double? = nil
    package var offlineTerm: Double? = nil
    package var offlineAdvantageMean: Double? = nil
    /// Sequences per staleness bucket and mean effective weight e = w·x of their tokens
    /// (0 for tokens the staleness mask removed), when versions are given.
    package var stalenessCounts: [Int]? = nil
    package var stalenessWeights: [Double]? = nil

    package init() {}

    static var scalarKeys: [(String, WritableKeyPath<ObjectiveMetrics, Double>)] {
        [("masked_fraction", \.maskedFraction), ("loss", \.loss), ("policy_loss", \.policyLoss),
         ("variance_penalty", \.variancePenalty), ("kl_reference_term", \.klReferenceTerm),
         ("entropy_term", \.entropyTerm), ("previous_kl_term", \.previousKLTerm), ("ratio_mean", \.ratioMean),
         ("ratio_min", \.ratioMin), ("ratio_max", \.ratioMax), ("ratio_q01", \.ratioQ01), ("ratio_q05", \.ratioQ05),
         ("ratio_q50", \.ratioQ50), ("ratio_q95", \.ratioQ95), ("ratio_q99", \.ratioQ99), ("ratio_q999", \.ratioQ999),
         ("ratio_var_central", \.ratioVarCentral), ("ratio_var_one", \.ratioVarOne),
         ("clip_fraction_low", \.clipFractionLow), ("clip_fraction_high", \.clipFractionHigh),
         ("dual_clip_fraction", \.dualClipFraction), ("outside_window_fraction", \.outsideWindowFraction),
         ("braked_fraction", \.brakedFraction), ("kl_behaviour_k1", \.klBehaviourK1),
         ("kl_behaviour_k3", \.klBehaviourK3), ("behaviour_weight_mean", \.behaviourWeightMean),
         ("behaviour_weight_max", \.behaviourWeightMax), ("weight_truncated_fraction", \.weightTruncatedFraction),
         ("weight_masked_fraction", \.weightMaskedFraction), ("effective_sample_size", \.effectiveSampleSize)]
    }

    static var optionalKeys: [(String, WritableKeyPath<ObjectiveMetrics, Double?>)] {
        [("kl_reference", \.klReference), ("entropy", \.entropy), ("previous_kl", \.previousKL),
         ("staleness_mean", \.stalenessMean), ("staleness_capped_fraction", \.stalenessCappedFraction),
         ("zero_variance_group_fraction", \.zeroVarianceGroupFraction),
         ("dynamic_sampling_dropped_fraction", \.dynamicSamplingDroppedFraction),
         ("d3s_sample_keep", \.d3sSampleKeep), ("d3s_token_keep", \.d3sTokenKeep),
         ("capo_rejected_fraction", \.capoRejectedFraction), ("lambda", \.lambda), ("dual_variance", \.dualVariance),
         ("beta_alpha", \.betaAlpha), ("beta_beta", \.betaBeta), ("mdpo_coefficient", \.mdpoCoefficient),
         ("etr_epsilon_mean", \.etrEpsilonMean), ("entropy_aggregated", \.entropyAggregated),
         ("epo_entropy_history", \.epoEntropyHistory), ("epo_bonus_coef", \.epoBonusCoef),
         ("epo_smoothing_coef", \.epoSmoothingCoef), ("epo_smoothing_penalty", \.epoSmoothingPenalty),
         ("empg_scale_min", \.empgScaleMin), ("empg_scale_max", \.empgScaleMax), ("dcpo_coef", \.dcpoCoef),
         ("dcpo_target_entropy", \.dcpoTargetEntropy), ("safe_kl_coef", \.safeKLCoef),
         ("safe_threshold", \.safeThreshold), ("safe_kl_short", \.safeKLShort),
         ("safe_entropy_gate", \.safeEntropyGate), ("safe_phase", \.safePhase), ("reward_mean", \.rewardMean),
         ("ratio_norm_shift", \.ratioNormShift), ("calibration_auc", \.calibrationAUC),
         ("calibration_masked_pair_fraction", \.calibrationMaskedPairFraction),
         ("oblr_baseline_shift", \.oblrBaselineShift),
         ("adora_advantageous_fraction", \.adoraAdvantageousFraction),
         ("adora_disadvantageous_fraction", \.adoraDisadvantageousFraction), ("adora_weight_mean", \.adoraWeightMean),
         ("adora_advantageous_rate", \.adoraAdvantageousRate), ("oblr_snr", \.oblrSNR), ("oblr_lr_scale", \.oblrLRScale),
         ("pipo_delta", \.pipoDelta), ("pipo_scale", \.pipoScale), ("lr_scale", \.lrScale),
         ("ghpo_hinted_fraction", \.ghpoHintedFraction),
         ("demonstration_tokens", \.demonstrationTokens), ("demonstration_nll", \.demonstrationNLL),
         ("sft_term", \.sftTerm), ("offline_term", \.offlineTerm), ("offline_advantage_mean", \.offlineAdvantageMean)]
    }

    /// Bucket label for staleness bucket `b` ("0" … "7", "8plus").
    package static func bucketLabel(_ b: Int) -> String { b == stalenessBuckets - 1 ? "\(b)plus" : "\(b)" }

    /// Bucket of staleness `s`.
    package static func bucket(ofStaleness s: Int) -> Int { min(max(s, 0), stalenessBuckets - 1) }
}

extension ObjectiveMetrics: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(tokens, forKey: Key("tokens"))
        try c.encode(sequences, forKey: Key("sequences"))
        for (k, p) in Self.scalarKeys { try c.encode(self[keyPath: p], forKey: Key(k)) }
        for (k, p) in Self.optionalKeys { try c.encodeIfPresent(self[keyPath: p], forKey: Key(k)) }
        if let counts = stalenessCounts, let weights = stalenessWeights {
            for b in 0..<min(counts.count, weights.count) {
                try c.encode(counts[b], forKey: Key("staleness_count_\(Self.bucketLabel(b))"))
                try c.encode(weights[b], forKey: Key("staleness_weight_\(Self.bucketLabel(b))"))
            }
        }
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init()
        tokens = try c.decode(Int.self, forKey: Key("tokens"))
        sequences = try c.decode(Int.self, forKey: Key("sequences"))
        for (k, p) in Self.scalarKeys { self[keyPath: p] = try c.decode(Double.self, forKey: Key(k)) }
        for (k, p) in Self.optionalKeys { self[keyPath: p] = try c.decodeIfPresent(Double.self, forKey: Key(k)) }
        if c.contains(Key("staleness_count_0")) {
            var counts: [Int] = [], weights: [Double] = []
            for b in 0..<stalenessBuckets {
                counts.append(try c.decode(Int.self, forKey: Key("staleness_count_\(Self.bucketLabel(b))")))
                weights.append(try c.decode(Double.self, forKey: Key("staleness_weight_\(Self.bucketLabel(b))")))
            }
            stalenessCounts = counts; stalenessWeights = weights
        }
    }
}

/// Linear-interpolation quantile of sorted values (q in [0, 1]); 0 for an empty array.
func quantile(sorted xs: [Double], _ q: Double) -> Double {
    guard !xs.isEmpty else { return 0 }
    let pos = q * Double(xs.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(lo + 1, xs.count - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - Double(lo))
}
