// The loss kernel's switches and hyper-parameters (ALGORITHMS.md §6), named as in the
// design doc. Codable with snake_case keys that are also the `--objective-set` keys
// (ObjectiveParsing.swift); named presets are rows of PresetTable.swift, each defined in its
// paper's file. The config is recorded in batch metadata and checkpoints, so every field
// round-trips through JSON.

/// Errors for objective names, settings and inputs.
package enum ObjectiveError: Error, Equatable, CustomStringConvertible {
    case unknownObjective(String, valid: [String])
    case unknownKey(String, valid: [String])
    case badValue(key: String, value: String, expected: String)
    case shapeMismatch(String)
    case nonFinite(what: String, index: Int, value: Float)
    case invalidSetting(String)
    case missingInput(String)
    /// A setting the kernel computes but the trainer cannot supply or apply yet (rejected when
    /// the objective is parsed, so a run does not fail at its first update).
    case trainerUnsupported(key: String, value: String, reason: String)

    package var description: String {
        switch self {
        case let .unknownObjective(n, valid): return "unknown objective '\(n)'; valid: \(valid.joined(separator: ", "))"
        case let .unknownKey(k, valid): return "unknown objective setting '\(k)'; valid keys: \(valid.joined(separator: ", "))"
        case let .badValue(k, v, e): return "objective setting \(k)=\(v): expected \(e)"
        case let .shapeMismatch(s): return "objective input shape mismatch: \(s)"
        case let .nonFinite(w, i, v): return "objective input \(w)[\(i)] is not finite (\(v))"
        case let .invalidSetting(s): return "invalid objective setting: \(s)"
        case let .missingInput(s): return "objective input missing: \(s)"
        case let .trainerUnsupported(k, v, why): return "objective setting \(k)=\(v) is not supported by the trainer: \(why)"
        }
    }
}

/// Which policy the ratio is taken against (§1.2, §4.10).
package enum RatioReference: String, Codable, Sendable, CaseIterable {
    /// Single ratio `π_θ/μ` against the behaviour policy (default; also ALP's "bypass").
    case behaviour
    /// AReaL decoupled: `u = π_θ/π_prox` with `π_prox` log-probs supplied per position.
    case decoupled
    /// AReaL decoupled with the version-interpolated `π_prox` (§4.10).
    case decoupledInterp = "decoupled-interp"
}

/// Token ratio or one ratio per sequence (§1.2, §3.3, §4.7).
package enum RatioLevel: String, Codable, Sendable, CaseIterable {
    case token
    /// `exp(Σ_t log r_t)` (ALP sequence mode).
    case sequenceSum = "sequence-sum"
    /// `exp((1/L) Σ_t log r_t)` (GSPO).
    case sequenceMean = "sequence-mean"
}

/// How a sequence-level ratio passes its gradient back to the tokens.
package enum SequenceGradient: String, Codable, Sendable, CaseIterable {
    /// The true gradient of the sequence ratio: every token of the sequence receives it (GSPO).
    case sequence
    /// ALP: `log ρ_t = sg(Λ) + log π_t − sg(log π_t)`; each token receives only its own term (§3.3).
    case straightThrough = "straight-through"
}

/// The rule that bounds how far the ratio may move (§6 item 3).
package enum BoundingRule: String, Codable, Sendable, CaseIterable {
    /// Plain importance-weighted surrogate `−r·Â` (MDPO; REINFORCE when r = 1).
    case none
    /// PPO clip / clip-higher (GRPO.swift), with optional dual clip (PPO.swift) (§4.1, §4.2, §4.6; GSPO at sequence level §4.7).
    case clip
    /// ETR per-sample elastic clip widths (§5.3, reconstruction).
    case etr
    /// MHPO log-fidelity modulator and hazard penalties (§5.2, reconstruction).
    case mhpo
    /// BPO/GBPO advantage-weighted divergence to the target ratio 1±ε (§5.1, reconstruction).
    case boundedRatio = "bounded-ratio"
    /// R²VPO ratio-variance penalty with a dual multiplier (§2.3–2.6, reconstruction).
    case variance
}

/// Detached importance weight for stale data, `ρ_b = π_prox/μ` (§4.8–4.10).
package enum StalenessWeight: String, Codable, Sendable, CaseIterable {
    case none
    /// Untruncated `ρ_b` (AReaL decoupled PPO).
    case `is`
    /// Truncated `min(ρ_b, tis_cap)` (TIS).
    case tis
    /// Masked: weight 0 where `ρ_b ∉ [mis_low, mis_high]`, else `ρ_b` (MIS).
    case mis
    /// V-trace truncation `min(ρ_b, rho_bar)` (§4.9).
    case vtrace
}

/// Token weights, or one weight per sequence (product or geometric mean of token weights).
package enum WeightLevel: String, Codable, Sendable, CaseIterable {
    case token
    case sequence
    case sequenceMean = "sequence-mean"
}

/// R²VPO's batch variance estimator (§2.3).
package enum VarianceEstimator: String, Codable, Sendable, CaseIterable {
    /// `V_c = mean (r − r̄)²`.
    case central
    /// `V_1 = mean (r − 1)²` (χ² form).
    case one
}

/// R²VPO's dual step (§2.3).
package enum DualRule: String, Codable, Sendable, CaseIterable {
    /// `λ ← max(0, λ + η (V − δ))`, capped at λ_max.
    case additive
    /// `log λ ← clip(log λ + η (V/δ − 1), log λ_min, log λ_max)`.
    case log
}

/// MDPO's KL(π_θ ‖ π_k) term (§5.17).
package enum PreviousKL: String, Codable, Sendable, CaseIterable {
    case off
    /// Sampled on the token log-probs: `r log r − r + 1`, `r = π_θ/π_k` (see MDPO.swift).
    case sampled
    /// Exact per-position KL supplied by the policy; its gradient is the policy's job.
    case input
}

/// How the trainer sets the learning rate of an update's steps (OBLR-PO, OBLRPO.swift).
package enum LearningRateRule: String, Codable, Sendable, CaseIterable {
    /// The configured learning rate.
    case constant
    /// Scaled by clamp(SNR/(1 + SNR), `oblr_lr_min`, 1) from the gradients' signal-to-noise ratio.
    case snr
}

/// Every switch of the loss kernel with its hyper-parameters.
package struct ObjectiveConfig: Codable, Sendable, Equatable {
    /// Preset name the configuration came from.
    package var name: String = "custom"

    // Advantages (§1.3, §5.4)
    package var advantage: AdvantageEstimator = .grpo
    package var epsStd: Float = 1e-6

    // Ratio (§1.2)
    package var reference: RatioReference = .behaviour
    package var ratioLevel: RatioLevel = .token
    package var sequenceGradient: SequenceGradient = .sequence
    package var logRatioClamp: Float = 20

    // Bounding rule
    package var bound: BoundingRule = .clip
    /// ε_low: lower window `1 − ε_low`.
    package var clipLow: Float = 0.2
    /// ε_high: upper window `1 + ε_high`.
    package var clipHigh: Float = 0.2
    /// Dual-clip constant c > 1 for negative advantages (§4.2); nil = off.
    package var dualClip: Float? = nil
    /// ETR: `ε_i = ε (1 + α |Â_i|)` (§5.3).
    package var etrAlpha: Float = 0.5
    /// ETR: further scale widths by `4 p_g (1 − p_g)` (group success rate; needs rewards).
    package var etrGroupScale: Bool = true
    /// MHPO modulator half-width κ: `ψ(r) = 1 + κ tanh(log r / κ)`.
    package var mhpoKappa: Float = 0.2
    /// MHPO hazard scales η and shapes k (`H(u) = (u/η)^k`) for the up and down sides.
    package var mhpoEtaUp: Float = 0.5
    package var mhpoEtaDown: Float = 0.5
    package var mhpoShapeUp: Float = 2
    package var mhpoShapeDown: Float = 2

    // R²VPO (§2.3–2.5)
    package var lambda0: Float = 2.5
    package var delta: Float = 0.02
    package var etaLambda: Float = 0.05
    package var lambdaMin: Float = 1e-3
    package var lambdaMax: Float = 1e3
    package var variance: VarianceEstimator = .central
    package var dualRule: DualRule = .log
    /// EMA decay β of V before the dual step (`V̄ ← β V̄ + (1 − β) V`); nil = off.
    package var varianceEMA: Float? = nil

    // Staleness (§4.8–4.10)
    package var weight: StalenessWeight = .none
    package var weightLevel: WeightLevel = .token
    package var tisCap: Float = 2
    package var misLow: Float = 0.5
    package var misHigh: Float = 2
    package var rhoBar: Float = 1
    /// Sequences with staleness `s = v − v_b` above this leave the mask (`mask_staleness_above`,
    /// formerly `staleness_cap`); nil = none are masked. Not the learner's admission limit.
    package var maskStalenessAbove: Int? = nil

    // Aggregation (§1.4)
    package var aggregation: Aggregation = .tokenMean
    /// `L_norm` for seq-mean-token-sum-norm; nil = the batch's padded length.
    package var lengthNorm: Int? = nil

    // Regularisers (§1.5, §3.3, §5.17)
    /// β of the k3 KL to the frozen reference (needs reference log-probs when > 0).
    package var klCoef: Float = 0
    /// Entropy bonus coefficient (needs per-position entropy when > 0).
    package var entropyCoef: Float = 0
    package var previousKL: PreviousKL = .off
    /// MDPO step size t₀; the KL coefficient is `1/t_k`.
    package var mdpoStep: Float = 1
    /// Anneal `t_k = t₀ · max(1 − k/K, mdpo_min_fraction)` over K steps; nil = constant.
    package var mdpoAnnealSteps: Int? = nil
    package var mdpoMinFraction: Float = 0.05

    // Sample selection (§4.6, §5.5, §5.7)
    /// DAPO: drop groups whose rewards are all equal (needs rewards and group ids).
    package var dynamicSampling: Bool = false
    /// D³S sample-level keep ratio at step 0; nil = off.
    package var d3sSampleKeep: Float? = nil
    /// D³S token-level keep ratio at step 0; nil = off (needs entropy).
    package var d3sTokenKeep: Float? = nil
    /// Steps over which the D³S keep ratios relax linearly to 1.
    package var d3sScheduleSteps: Int = 200
    /// CAPO: mask tokens whose predicted KL exceeds this multiple of the batch mean; nil = off.
    package var capoThreshold: Float? = nil

    // ALP perturbation settings, used by the policy, recorded here (§3.2, §3.4).
    package var alpSigma0: Float? = nil
    package var alpPerturbLR: Float? = nil
    package var alpLearnable: Bool = true

    // Entropy control (EPO.swift, EMPG.swift, DCPO.swift, SAFE.swift; docs/algorithms.md).
    /// EPO: weight λ_s of the entropy smoothing penalty; nil = off.
    package var epoSmoothing: Float? = nil
    /// EPO: half-width κ of the band [(1 − κ)H̄, (1 + κ)H̄] around the historical entropy H̄.
    package var epoBand: Float = 0.2
    /// EPO: EMA decay of the historical entropy H̄.
    package var epoHistory: Float = 0.9
    /// EPO: phase length K of the adaptive weighting α_k = min(1, k/K); nil = no phases.
    package var epoPhaseSteps: Int? = nil
    /// EMPG: confidence sharpness k of the self-calibrating scale g = e^(−k·Ĥ)/mean; nil = off.
    package var empgK: Float? = nil
    /// EMPG: sharpness k′ of the future-clarity bonus e^(−k′·Ĥ_next).
    package var empgFutureK: Float = 1
    /// EMPG: weight ζ of the future-clarity bonus.
    package var empgZeta: Float = 0.05
    /// DCPO: gain α of the distribution-level entropy control; nil = off.
    package var dcpoAlpha: Float? = nil
    /// DCPO: target entropy H* in nats; nil = `dcpo_target_ratio` × the first step's entropy.
    package var dcpoTargetEntropy: Float? = nil
    package var dcpoTargetRatio: Float = 0.5
    /// DCPO: also push the entropy down when it is above the target (default: only resist collapse below it).
    package var dcpoTwoSided: Bool = false
    /// SAFE: entropy-gated KL to the reference with a PID-controlled threshold (needs reference log-probs).
    package var safe: Bool = false
    /// SAFE: base KL threshold τ₀, entropy floor, PID gains and penalty scale (authors' defaults).
    package var safeThreshold: Float = 0.3
    package var safeEntropyFloor: Float = 2
    package var safeKp: Float = 0.3
    package var safeKi: Float = 0.01
    package var safeKd: Float = 0.05
    package var safePenaltyScale: Float = 0.1

    // GRPO-Guard and Calibration-Aware PO (GRPOGuard.swift, CalibrationPO.swift).
    /// GRPO-Guard: divide token ratios by the minibatch's detached geometric-mean ratio before the bound.
    package var ratioNorm: Bool = false
    /// Calibration-aware advantages from a logistic AUC surrogate over each group's confidences.
    package var calibrationAdvantage: Bool = false
    /// Noise mask of the calibration advantages: drop pairs already ordered by more than this; nil = none.
    package var calibrationMargin: Float? = nil

    /// OBLR-PO: GRPO advantages around the gradient-weighted (variance-optimal) group baseline.
    package var oblrBaseline: Bool = false
    /// OBLR-PO: the learning-rate rule (`snr` needs ≥ 2 minibatches), its floor s_min and the SNR EMA decay.
    package var oblrLR: LearningRateRule = .constant
    package var oblrLRMin: Float = 0.1
    package var oblrSNREMA: Float = 0.9

    /// ADORA: the advantage weight λ of groups that are not advantageous (ADORA.swift); nil = off.
    package var adoraLambda: Float? = nil
    /// PIPO: the half-width β of the learning-rate factor 1 + β·tanh(Δ/σ) (PIPO.swift); nil = off.
    package var pipoBeta: Float? = nil
    /// PIPO: how many past updates' mean rewards form the baseline window.
    package var pipoWindow: Int = 8
    /// GHPO: how many hint stages a group with no correct sample may go through (stage k appends
    /// the first k/(stages+1) of the reference answer to the prompt; GHPO.swift); 0 = no hints.
    /// A rollout setting: the learner sends it to workers in `Welcome`.
    package var ghpoStages: Int = 0
    /// RPO: the coefficient η of the SFT term on the task's demonstrations (RPO.swift); 0 = off.
    package var sftCoef: Float = 0
    /// HNPG: the weight w of each group's demonstration as an off-policy sample (HNPG.swift); nil = off.
    package var offlineWeight: Float? = nil

    /// Whether the batch needs a demonstration row per group with a reference (BatchAssembly.swift).
    package var usesDemonstrations: Bool { sftCoef > 0 || offlineWeight != nil }

    /// Whether the trainer must supply reference log-probs (`kl_coef > 0` or SAFE's controlled KL).
    package var needsReferenceLogProbs: Bool { klCoef != 0 || safe }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, advantage, epsStd = "eps_std", reference, ratioLevel = "ratio_level"
        case sequenceGradient = "sequence_gradient", logRatioClamp = "log_ratio_clamp", bound
        case clipLow = "clip_low", clipHigh = "clip_high", dualClip = "dual_clip"
        case etrAlpha = "etr_alpha", etrGroupScale = "etr_group_scale"
        case mhpoKappa = "mhpo_kappa", mhpoEtaUp = "mhpo_eta_up", mhpoEtaDown = "mhpo_eta_down"
        case mhpoShapeUp = "mhpo_shape_up", mhpoShapeDown = "mhpo_shape_down"
        case lambda0, delta, etaLambda = "eta_lambda", lambdaMin = "lambda_min", lambdaMax = "lambda_max"
        case variance, dualRule = "dual_rule", varianceEMA = "variance_ema"
        case weight, weightLevel = "weight_level", tisCap = "tis_cap", misLow = "mis_low", misHigh = "mis_high"
        case rhoBar = "rho_bar", maskStalenessAbove = "mask_staleness_above", aggregation, lengthNorm = "length_norm"
        case klCoef = "kl_coef", entropyCoef = "entropy_coef", previousKL = "previous_kl"
        case mdpoStep = "mdpo_step", mdpoAnnealSteps = "mdpo_anneal_steps", mdpoMinFraction = "mdpo_min_fraction"
        case dynamicSampling = "dynamic_sampling", d3sSampleKeep = "d3s_sample_keep", d3sTokenKeep = "d3s_token_keep"
        case d3sScheduleSteps = "d3s_schedule_steps", capoThreshold = "capo_threshold"
        case alpSigma0 = "alp_sigma0", alpPerturbLR = "alp_perturb_lr", alpLearnable = "alp_learnable"
        case epoSmoothing = "epo_smoothing", epoBand = "epo_band", epoHistory = "epo_history"
        case epoPhaseSteps = "epo_phase_steps", empgK = "empg_k", empgFutureK = "empg_future_k", empgZeta = "empg_zeta"
        case dcpoAlpha = "dcpo_alpha", dcpoTargetEntropy = "dcpo_target_entropy", dcpoTargetRatio = "dcpo_target_ratio"
        case dcpoTwoSided = "dcpo_two_sided"
        case safe, safeThreshold = "safe_threshold", safeEntropyFloor = "safe_entropy_floor", safeKp = "safe_kp"
        case safeKi = "safe_ki", safeKd = "safe_kd", safePenaltyScale = "safe_penalty_scale"
        case ratioNorm = "ratio_norm", calibrationAdvantage = "calibration_advantage", calibrationMargin = "calibration_margin"
        case oblrBaseline = "oblr_baseline", oblrLR = "oblr_lr", oblrLRMin = "oblr_lr_min", oblrSNREMA = "oblr_snr_ema"
        case adoraLambda = "adora_lambda", pipoBeta = "pipo_beta", pipoWindow = "pipo_window"
        case ghpoStages = "ghpo_stages", sftCoef = "sft_coef", offlineWeight = "offline_weight"
    }

    /// A configuration with the defaults above (PPO clip 0.2, GRPO advantages, token-mean).
    package init() {}

    /// Convenience initialiser for the common clip settings (kept for existing callers).
    package init(name: String = "custom", advantage: AdvantageEstimator = .grpo, epsStd: Float = 1e-6,
                clipLow: Float = 0.2, clipHigh: Float = 0.2, dualClip: Float? = nil,
                aggregation: Aggregation = .tokenMean, lengthNorm: Int? = nil, logRatioClamp: Float = 20) {
        self.name = name; self.advantage = advantage; self.epsStd = epsStd
        self.clipLow = clipLow; self.clipHigh = clipHigh; self.dualClip = dualClip
        self.aggregation = aggregation; self.lengthNorm = lengthNorm; self.logRatioClamp = logRatioClamp
    }

    /// Checks ranges a loss cannot work with; the message names the setting.
    package func validate() throws {
        func need(_ ok: Bool, _ msg: @autoclosure () -> String) throws {
            if !ok { throw ObjectiveError.invalidSetting(msg()) }
        }
        let floats: [(String, Float)] = [
            ("eps_std", epsStd), ("log_ratio_clamp", logRatioClamp), ("clip_low", clipLow), ("clip_high", clipHigh),
            ("etr_alpha", etrAlpha), ("mhpo_kappa", mhpoKappa), ("mhpo_eta_up", mhpoEtaUp),
            ("mhpo_eta_down", mhpoEtaDown), ("mhpo_shape_up", mhpoShapeUp), ("mhpo_shape_down", mhpoShapeDown),
            ("lambda0", lambda0), ("delta", delta), ("eta_lambda", etaLambda), ("lambda_min", lambdaMin),
            ("lambda_max", lambdaMax), ("tis_cap", tisCap), ("mis_low", misLow), ("mis_high", misHigh),
            ("rho_bar", rhoBar), ("kl_coef", klCoef), ("entropy_coef", entropyCoef), ("mdpo_step", mdpoStep),
            ("mdpo_min_fraction", mdpoMinFraction), ("epo_band", epoBand), ("epo_history", epoHistory),
            ("empg_future_k", empgFutureK), ("empg_zeta", empgZeta), ("dcpo_target_ratio", dcpoTargetRatio),
            ("safe_threshold", safeThreshold), ("safe_entropy_floor", safeEntropyFloor), ("safe_kp", safeKp),
            ("safe_ki", safeKi), ("safe_kd", safeKd), ("safe_penalty_scale", safePenaltyScale),
        ]
        for (k, v) in floats { try need(v.isFinite, "\(k) \(v) must be finite") }
        try need(epsStd >= 0, "eps_std \(epsStd) must be ≥ 0")
        try need(logRatioClamp > 0, "log_ratio_clamp \(logRatioClamp) must be > 0")
        try need(clipLow >= 0 && clipLow < 1, "clip_low \(clipLow) must be in [0, 1)")
        try need(clipHigh >= 0, "clip_high \(clipHigh) must be ≥ 0")
        if let c = dualClip { try need(c.isFinite && c > 1, "dual_clip \(c) must be > 1") }
        try need(etrAlpha >= 0, "etr_alpha \(etrAlpha) must be ≥ 0")
        try need(mhpoKappa > 0, "mhpo_kappa \(mhpoKappa) must be > 0")
        try need(mhpoEtaUp > 0 && mhpoEtaDown > 0, "mhpo_eta_up/down must be > 0")
        try need(mhpoShapeUp >= 1 && mhpoShapeDown >= 1, "mhpo_shape_up/down must be ≥ 1 (finite hazard slope at 0)")
        try need(lambda0 >= 0, "lambda0 \(lambda0) must be ≥ 0")
        try need(delta > 0, "delta \(delta) must be > 0")
        try need(etaLambda >= 0, "eta_lambda \(etaLambda) must be ≥ 0")
        try need(lambdaMin > 0 && lambdaMin < lambdaMax, "need 0 < lambda_min < lambda_max (got \(lambdaMin), \(lambdaMax))")
        if let b = varianceEMA { try need(b >= 0 && b < 1, "variance_ema \(b) must be in [0, 1)") }
        try need(tisCap > 0, "tis_cap \(tisCap) must be > 0")
        try need(misLow >= 0 && misLow < misHigh, "need 0 ≤ mis_low < mis_high (got \(misLow), \(misHigh))")
        try need(rhoBar > 0, "rho_bar \(rhoBar) must be > 0")
        if let c = maskStalenessAbove { try need(c >= 0, "mask_staleness_above \(c) must be ≥ 0") }
        if let l = lengthNorm { try need(l > 0, "length_norm \(l) must be > 0") }
        try need(klCoef >= 0, "kl_coef \(klCoef) must be ≥ 0")
        try need(mdpoStep > 0, "mdpo_step \(mdpoStep) must be > 0")
        if let k = mdpoAnnealSteps { try need(k > 0, "mdpo_anneal_steps \(k) must be > 0") }
        try need(mdpoMinFraction > 0 && mdpoMinFraction <= 1, "mdpo_min_fraction \(mdpoMinFraction) must be in (0, 1]")
        for (k, v) in [("d3s_sample_keep", d3sSampleKeep), ("d3s_token_keep", d3sTokenKeep)] {
            if let v { try need(v > 0 && v <= 1, "\(k) \(v) must be in (0, 1]") }
        }
        try need(d3sScheduleSteps >= 0, "d3s_schedule_steps \(d3sScheduleSteps) must be ≥ 0")
        if let c = capoThreshold { try need(c.isFinite && c > 0, "capo_threshold \(c) must be > 0") }
        if let s = alpSigma0 { try need(s.isFinite && s >= 0, "alp_sigma0 \(s) must be ≥ 0") }
        if let s = alpPerturbLR { try need(s.isFinite && s >= 0, "alp_perturb_lr \(s) must be ≥ 0") }
        try validateEntropyControl()
        if let l = adoraLambda { try need(l.isFinite && l >= 0 && l <= 1, "adora_lambda \(l) must be in [0, 1]") }
        try need(oblrLRMin.isFinite && oblrLRMin > 0 && oblrLRMin <= 1, "oblr_lr_min \(oblrLRMin) must be in (0, 1]")
        try need(oblrSNREMA.isFinite && oblrSNREMA >= 0 && oblrSNREMA < 1, "oblr_snr_ema \(oblrSNREMA) must be in [0, 1)")
        if let b = pipoBeta { try need(b.isFinite && b >= 0 && b < 1, "pipo_beta \(b) must be in [0, 1)") }
        try need(pipoWindow >= 2, "pipo_window \(pipoWindow) must be ≥ 2")
        try need(ghpoStages >= 0 && ghpoStages <= 16, "ghpo_stages \(ghpoStages) must be in 0…16")
        try need(sftCoef.isFinite && sftCoef >= 0, "sft_coef \(sftCoef) must be ≥ 0")
        if let w = offlineWeight {
            try need(w.isFinite && w > 0, "offline_weight \(w) must be > 0")
            try need(advantage == .grpo || advantage == .drGRPO,
                     "offline_weight: the demonstration joins its group's baseline, defined for advantage = grpo or dr-grpo (got \(advantage.rawValue))")
        }
    }
}
