// Objective state that lasts across optimiser steps and is saved in checkpoints
// (trainer_state.json, MODEL.md): the step counter (D³S schedule position, MDPO's t_k, EPO's
// phase), R²VPO's multiplier λ and the EMA of the ratio variance (§2.3), EPO's entropy history,
// DCPO's initial entropy and SAFE's controller. ALP's per-layer
// log-scales are parameters of the policy and are saved with it.

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
}
