// The vocabulary the loss kernel's stages share (Kernel.swift composes them; every paper's file
// holds its own stage). A `KernelStage` acts at fixed points of the pipeline on the working state
// of one kernel call (`KernelPass`), and once after each optimiser step on the cross-step state.
// Every hook does nothing by default, so a paper's stage implements only the points where its
// method acts. The points, in pipeline order (ALGORITHMS.md §6; docs/algorithms.md "The pieces"):
//   selectSequences     1. drop whole sequences        (staleness mask, DAPO, D³S sample level)
//   centreRatios        3. shift token log-ratios      (GRPO-Guard)
//   selectTokens        4. drop tokens                 (D³S token level, CAPO)
//   replaceAdvantages   6. the advantages the bound uses (Calibration-PO, OBLR-PO, ADORA, EMPG)
//   penalise            6. batch terms after the per-token terms (R²VPO's variance penalty)
//   regularise          7. terms beside the policy loss (SAFE, k3 to the reference, MDPO, entropy,
//                          EPO, DCPO)
//   afterStep           after the optimiser step      (R²VPO's λ, EPO's history, DCPO, SAFE, ADORA)
//   demonstrate         terms on the demonstration rows, which the pipeline above never sees
//                       (RPO's SFT term, HNPG's off-policy term; Demonstrations.swift)
// and two points around a whole update (one training batch, all its optimiser steps), which the
// trainer calls (ObjectiveState.swift):
//   scaleLearningRate   before the update: a factor on its steps' learning rate (OBLR-PO, PIPO)
//   afterUpdate         after the update: what the trainer measured over it (OBLR-PO, PIPO)
// The choices with exactly one answer per configuration (ratio reference, ratio level, bounding
// rule) are functions in their papers' files that Kernel.swift calls by the configuration.

/// One paper's share of the loss kernel. Hooks run in the order of `ObjectiveConfig.kernelStages`.
protocol KernelStage: Sendable {
    /// 1. Sequence-level selection: clear `p.seqKeep[i]` for dropped sequences.
    func selectSequences(_ p: inout KernelPass) throws
    /// 3. Before the token ratio: set `p.ratioShift` (subtracted from every token log-ratio).
    func centreRatios(_ p: inout KernelPass)
    /// 4. Token-level selection: clear `p.keep[k]` for dropped tokens.
    func selectTokens(_ p: inout KernelPass)
    /// 6. Replace the sequence advantages `p.seqAdv` or set per-token ones `p.tokenAdv`.
    func replaceAdvantages(_ p: inout KernelPass)
    /// 6. Add batch-level terms to `p.gLog` (∂loss/∂log x) after the per-token terms.
    func penalise(_ p: inout KernelPass)
    /// 7. Add a regulariser: its loss term to the metrics, its gradient to `p.dlp` (∂loss/∂log π)
    /// or to `p.dH` (∂loss/∂H, which the policy applies).
    func regularise(_ p: inout KernelPass)
    /// After an optimiser step whose kernel result was `result`: advance the cross-step state.
    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig)
    /// Demonstration rows (Demonstrations.swift): add a term's loss to `d.loss` and its gradient to `d.dlp`.
    func demonstrate(_ d: inout DemonstrationPass)
    /// Before an update's optimiser steps: multiply `s.value` (the learning-rate factor) and fill
    /// its panel entries. `meanReward` is the training batch's mean reward.
    func scaleLearningRate(_ s: inout LearningRateScale, state: ObjectiveState, config: ObjectiveConfig, meanReward: Double?)
    /// After a whole update: advance the cross-update state from what the trainer measured.
    func afterUpdate(_ state: inout ObjectiveState, observation: UpdateObservation, config: ObjectiveConfig)
}

extension KernelStage {
    func selectSequences(_ p: inout KernelPass) throws {}
    func centreRatios(_ p: inout KernelPass) {}
    func selectTokens(_ p: inout KernelPass) {}
    func replaceAdvantages(_ p: inout KernelPass) {}
    func penalise(_ p: inout KernelPass) {}
    func regularise(_ p: inout KernelPass) {}
    func afterStep(_ state: inout ObjectiveState, result: ObjectiveResult, config: ObjectiveConfig) {}
    func demonstrate(_ d: inout DemonstrationPass) {}
    func scaleLearningRate(_ s: inout LearningRateScale, state: ObjectiveState, config: ObjectiveConfig, meanReward: Double?) {}
    func afterUpdate(_ state: inout ObjectiveState, observation: UpdateObservation, config: ObjectiveConfig) {}
}

/// Which bound (if any) removed a token's gradient.
enum ClipFlag { case none, low, high, dual }

/// One token's loss and its derivative with respect to the log of the bounded ratio.
struct TokenTerm {
    var loss: Double
    var dLogRatio: Double
    var flag: ClipFlag = .none
}

/// The working state of one kernel call, filled in pipeline order. Positions are `k = i·S + t`
/// (N sequences, S padded positions); "live" values carry the gradient, "detached" ones
/// (`det`, `detachedEntropy`) drive stop-gradient quantities and decisions.
struct KernelPass {
    let config: ObjectiveConfig
    let state: ObjectiveState
    let batch: TokenBatch
    /// Live log π, detached log π, detached entropy `[N·S]`.
    let logProbs: [Float]
    let det: [Float]
    let detachedEntropy: [Float]?
    let N: Int, S: Int
    /// The log-ratio clamp C (`log_ratio_clamp`).
    let C: Double
    /// The metrics the stages fill (the loss parts included).
    var m = ObjectiveMetrics()

    // 1. Sequence selection: sequences still in, staleness s_i = v − v_b,i (nil without versions).
    var seqKeep: [Bool]
    var staleness: [Int]? = nil
    /// 1 where the token counts (mask ∧ sequence kept), later ∧ token selection.
    var keep: [Float] = []
    // 2. Ratio reference: log π_prox, clamped log ρ_b = log π_prox − log μ, live and detached log u = log π − log π_prox.
    var prox: [Float] = []
    var logWb: [Double] = [], uLive: [Double] = [], uDet: [Double] = []
    // 3. Ratio level: log x (live, detached), whether the gradient passes the clamp, dΛ_i/dlog π_t.
    var ratioShift = 0.0
    var logX: [Double] = [], logXDet: [Double] = []
    var flows: [Bool] = []
    var seqCoef: [Double] = []
    // 4. The mask before token-level selection (sequence-level quantities keep using it).
    var sequenceMask: [Float] = []
    // 5. Staleness weights and aggregation weights.
    var weights: (weights: [Double], status: [WeightStatus]) = ([], [])
    var agg: [Float] = []
    // 6. Clip windows per sequence, advantages, ∂loss/∂log x, kept positions, bound flags, ratios.
    var windows: [(low: Double, high: Double)] = []
    var seqAdv: [Float] = []
    var tokenAdv: [Double]? = nil
    var gLog: [Double] = []
    var kept: [Int] = []
    var flags = (low: 0, high: 0, dual: 0)
    var xs: [Double] = []
    var vars: (central: Double, one: Double, mean: Double) = (0, 0, 0)
    // 7. ∂loss/∂log π, ∂loss/∂KL_prev (MDPO input), ∂loss/∂H (active once an entropy term is on).
    var dlp: [Double] = []
    var dPreviousKL: [Float]? = nil
    var dH: [Double] = []
    var dHActive = false

    var n: Int { N * S }
    /// Kept-token count M as a Double (denominator of the panel's means).
    var M: Double { Double(kept.count) }
    /// Clamps a log-ratio to [−C, C].
    func clamp(_ x: Double) -> Double { min(max(x, -C), C) }

    init(config: ObjectiveConfig, state: ObjectiveState, batch: TokenBatch, logProbs: [Float],
         detachedLogProbs: [Float], detachedEntropy: [Float]?) {
        self.config = config; self.state = state; self.batch = batch
        self.logProbs = logProbs; self.det = detachedLogProbs; self.detachedEntropy = detachedEntropy
        N = batch.count; S = batch.length; C = Double(config.logRatioClamp)
        seqKeep = [Bool](repeating: true, count: batch.count)
    }
}
