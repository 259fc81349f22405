// Objective state that lasts across optimiser steps and is saved in checkpoints
// (trainer_state.json, MODEL.md): the step counter (D³S schedule position, MDPO's t_k, EPO's
// phase), R²VPO's multiplier λ and the EMA of the ratio variance (§2.3), EPO's entropy history,
// DCPO's initial entropy and SAFE's controller, ADORA's advantageous rate, OBLR-PO's gradient
// SNR and PIPO's reward window. ALP's per-layer log-scales are parameters of the policy and are
// saved with it. Also the trainer's side of the update-level hooks (KernelStage.swift): the
// learning-rate factor of an update's steps and what the trainer measured over the update.

/// Cross-step state of the objective.
package struct ObjectiveState: Codable, Sendable, Equatable {
    /// Optimiser steps taken so far.
    package var step: Int
    /// R²VPO multiplier λ (used as a detached constant in the loss).
    package var lambda: Double
    /// EMA of the ratio variance fed to the dual step (nil until the first step, or when off).
    package var varianceEMA: Double?
    /// EPO's historical batch entropy H̄ (nil until the first step, or when off).
    package var entropyHistory: Double? = nil
    /// DCPO's first-step batch entropy (the base of its relative target).
    package var initialEntropy: Double? = nil
    /// SAFE's controller (nil until the first step, or when off).
    package var safe: SAFEState? = nil
    /// ADORA: EMA (0.9) of the fraction of categorised sequences in advantageous groups.
    package var adoraAdvantageousRate: Double? = nil
    /// OBLR-PO: EMA (`oblr_snr_ema`) of the updates' gradient signal-to-noise ratios.
    package var oblrSNR: Double? = nil
    /// PIPO: the mean batch rewards of the last `pipo_window` updates, oldest first.
    package var pipoHistory: [Double]? = nil

    /// Initial state for `config` (λ = λ₀).
    package init(config: ObjectiveConfig) {
        step = 0; lambda = Double(config.lambda0); varianceEMA = nil
    }

    /// Advances after one optimiser step with that step's kernel result: every stage of `config`
    /// updates its share (R²VPO's dual step on the detached, optionally smoothed variance, EPO's
    /// history, DCPO's initial entropy, SAFE's controller; each skipped when the minibatch had no
    /// tokens), then `step += 1`.
    package mutating func update(afterStep result: ObjectiveResult, config: ObjectiveConfig) {
        for stage in config.kernelStages { stage.afterStep(&self, result: result, config: config) }
        step += 1
    }

    /// Advances after a whole update (all its optimiser steps) with what the trainer measured over
    /// it: OBLR-PO's SNR EMA, PIPO's reward window. Does not count as a step.
    package mutating func update(afterUpdate observation: UpdateObservation, config: ObjectiveConfig) {
        for stage in config.kernelStages { stage.afterUpdate(&self, observation: observation, config: config) }
    }
}

/// What the trainer measured over one update (one training batch, all its optimiser steps).
package struct UpdateObservation: Sendable, Equatable {
    /// The training batch's mean reward (nil without rewards).
    package var meanReward: Double?
    /// The gradient signal-to-noise ratio over the update's minibatch gradients (`GradientMoments`,
    /// OBLRPO.swift); nil when not collected or fewer than 2.
    package var gradientSNR: Double?

    package init(meanReward: Double? = nil, gradientSNR: Double? = nil) {
        self.meanReward = meanReward; self.gradientSNR = gradientSNR
    }
}

/// The factor on the learning rate of an update's optimiser steps, with its parts for the panel.
package struct LearningRateScale: Sendable, Equatable {
    /// The product of the parts (1 when no stage scales the learning rate).
    package var value = 1.0
    /// OBLR-PO: the SNR EMA the factor came from, and its factor.
    package var oblrSNR: Double? = nil
    package var oblrScale: Double? = nil
    /// PIPO: the improvement Δ against the window (nil without a baseline), and its factor.
    package var pipoDelta: Double? = nil
    package var pipoScale: Double? = nil

    package init() {}

    /// Copies the parts into the panel (`lr_scale` whenever a stage scales the learning rate).
    package func fill(_ m: inout ObjectiveMetrics) {
        m.oblrSNR = oblrSNR; m.oblrLRScale = oblrScale; m.pipoDelta = pipoDelta; m.pipoScale = pipoScale
        if oblrScale != nil || pipoScale != nil { m.lrScale = value }
    }
}

extension ObjectiveConfig {
    /// The learning-rate factor of the next update's steps from the cross-update state and the
    /// training batch's mean reward (OBLR-PO's SNR rule, PIPO's feedback; 1 otherwise).
    package func learningRateScale(state: ObjectiveState, meanReward: Double?) -> LearningRateScale {
        var s = LearningRateScale()
        for stage in kernelStages { stage.scaleLearningRate(&s, state: state, config: self, meanReward: meanReward) }
        return s
    }

    /// Whether the trainer must collect the update's minibatch gradients (`GradientMoments`).
    package var needsGradientMoments: Bool { oblrLR == .snr }
}
