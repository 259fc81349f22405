// Named presets: one per paper's method, with the defaults ALGORITHMS.md gives (section
// cited per preset); the registry of names, papers and references is PresetTable.swift.
// `ObjectiveConfig.preset(name)`; overrides via `parse(name:overrides:)`.

extension ObjectiveConfig {
    /// The named method's defaults.
    public static func preset(_ name: String) throws -> ObjectiveConfig {
        var c = ObjectiveConfig()
        c.name = name
        switch name {
        case "grpo":  // §4.3 clipped surrogate with z-score advantages, clip 0.2. Token-mean and no KL
            // as in the reference pipeline (peers/reverse_grpo.py) and the fixture; DeepSeekMath's
            // settings are `kl_coef=0.04,aggregation=seq-mean-token-mean` (the frozen reference is
            // the initial policy).
            break
        case "dr-grpo":  // §4.4: mean-only advantages, constant length normaliser, no KL
            c.advantage = .drGRPO; c.aggregation = .seqMeanTokenSumNorm
        case "dapo":  // §4.6: clip-higher 0.2/0.28, dynamic sampling, token-mean, no KL
            c.clipHigh = 0.28; c.dynamicSampling = true
        case "gspo":  // §4.7: length-normalised sequence ratio, narrow window 3e-4/4e-4
            c.ratioLevel = .sequenceMean; c.sequenceGradient = .sequence
            c.clipLow = 3e-4; c.clipHigh = 4e-4; c.aggregation = .seqMeanTokenMean
        case "rloo":  // §4.5: leave-one-out baseline, sequence loss, clip for multi-epoch reuse
            c.advantage = .rloo; c.aggregation = .seqMeanTokenSum
        case "ppo":  // §4.1/§4.2: clip 0.2 with dual clip c = 3
            c.dualClip = 3
        case "decoupled-ppo":  // §4.10: clip around π_prox (interpolated), sg(π_prox/μ) weight, staleness ≤ 4
            c.reference = .decoupledInterp; c.weight = .is; c.stalenessCap = 4
        case "tis":  // §4.8: decoupled ratio, truncated weight C = 2
            c.reference = .decoupledInterp; c.weight = .tis; c.tisCap = 2
        case "r2vpo":  // §2.5 [R]: variance penalty, λ₀ = 2.5, δ = 0.02, log-space dual η = 0.05
            c.bound = .variance
        case "r2vpo-decoupled":  // §2.6 [R]: Var(u) around π_prox, staleness via min(π_prox/μ, ρ̄)
            c.bound = .variance; c.reference = .decoupledInterp; c.weight = .vtrace; c.rhoBar = 1
        case "alp":  // §3.3/§3.4: sequence-sum ratio with straight-through gradient, dual-clip PPO
            c.ratioLevel = .sequenceSum; c.sequenceGradient = .straightThrough
            c.clipLow = 0.2; c.clipHigh = 0.28; c.dualClip = 3
            // σ₀ = 1e-3, not the authors' 0.02: their σ assumes a hidden-state RMS ≈ 1; our residual stream
            // is a few hundredths, where 0.02 is as large as the signal and ALP did not learn (docs/experiments.md).
            c.alpSigma0 = 1e-3; c.alpPerturbLR = 1e-2; c.alpLearnable = true
        case "gbpo":  // §5.1 [R]: median baseline, divergence to target ratio 1±0.2
            c.advantage = .gbpo; c.bound = .boundedRatio
        case "mhpo":  // §5.2 [R]: modulator κ = 0.2, Weibull hazards η = 0.5, k = 2
            c.bound = .mhpo
        case "etr":  // §5.3 [R]: ε_i = 0.2 (1 + 0.5 |Â_i|) · 4p(1−p)
            c.bound = .etr
        case "bnpo":  // §5.4: Beta-normalised advantages, clip 0.2
            c.advantage = .bnpo
        case "mdpo":  // §5.17: unclipped IS surrogate + (1/t_k) KL(π_θ‖π_k), sampled form
            c.bound = .none; c.previousKL = .sampled; c.mdpoStep = 1
        case "capo":  // §5.7 [R]: GRPO-style clip + curvature-aware token mask
            c.capoThreshold = 4
        case "d3s":  // §5.5 [R]: sample- and token-level down-sampling with a relaxing schedule
            c.d3sSampleKeep = 0.5; c.d3sTokenKeep = 0.5; c.d3sScheduleSteps = 200
        case "epo":  // EPO.swift [R]: entropy bonus 0.01 fading over 200 steps while the smoothing
            // penalty (λ_s = 1, band ±20 % of the EMA-0.9 history) grows in
            c.entropyCoef = 0.01; c.epoSmoothing = 1; c.epoBand = 0.2; c.epoHistory = 0.9; c.epoPhaseSteps = 200
        case "empg":  // EMPG.swift [R]: token advantages g(H)·Â + ζ·(future clarity), k = k′ = 1, ζ = 0.05
            c.empgK = 1; c.empgFutureK = 1; c.empgZeta = 0.05
        case "safe":  // SAFE.swift: the authors' controller (τ₀ 0.3, entropy floor 2, PID 0.3/0.01/0.05,
            // scale 0.1) on the k3 KL coefficient [R for its gradient form], entropy bonus 0.01 as in their code
            c.safe = true; c.entropyCoef = 0.01
        case "dcpo":  // DCPO.swift [R]: entropy held near half its starting value, gain α = 0.05
            c.dcpoAlpha = 0.05; c.dcpoTargetRatio = 0.5
        case "grpo-guard":  // GRPOGuard.swift [R]: clip 0.2 around the batch-centred token ratio
            c.ratioNorm = true
        case "calibration-po":  // CalibrationPO.swift [R]: logistic-AUC advantages, pairs ordered by > 0.5 nats masked
            c.calibrationAdvantage = true; c.calibrationMargin = 0.5; c.aggregation = .seqMeanTokenMean
        case "oblr-po":  // OBLRPO.swift [R]: z-scored advantages around Σw R/Σw, w = Σ_t (1 − p_t)²
            c.oblrBaseline = true
        default:
            throw ObjectiveError.unknownObjective(name, valid: presetNames)
        }
        return c
    }
}
