// One step of the learner's history as `GET /history` and the dashboard's charts show it;
// TrainingLoop appends one per step.

import Rollout
import Training

/// One step of the learner's history (the dashboard's charts; `GET /history`).
package struct HistoryPoint: Codable, Sendable {
    package var step: Int
    package var version: PolicyVersion
    /// Seconds since the Unix epoch when the step ended.
    package var time: Double
    package var groupsTrained: Int
    package var reward: Double
    package var accuracy: Double
    /// Held-out greedy accuracy that arrived at this step (evaluation runs beside training)…
    package var evalGreedyAccuracy: Double?
    /// …and the step whose weights it measured (a step or two earlier).
    package var evalStep: Int?
    /// Held-out sampled accuracy from the same evaluation.
    package var evalSampledAccuracy: Double? = nil
    /// Calibration of the same sampled completions: AUC of their sequence probability against
    /// correctness (nil also when all had one outcome) and expected calibration error.
    package var evalSampledAUC: Double? = nil
    package var evalSampledECE: Double? = nil
    package var meanStaleness: Double
    package var ratioQ99: Double?
    package var ratioQ999: Double?
    package var ratioMax: Double?
    package var klBehaviour: Double?
    package var entropy: Double?
    /// R²VPO's λ when the objective has one.
    package var lambda: Double?
    /// Whether the step had an optimizer step; without one it has no throughput (nil).
    package var updated: Bool
    package var tokensPerSecond: Double?
    package var stepSeconds: Double
    package var publishSeconds: Double
    /// Per reward component: its mean over the groups accepted since the previous step.
    package var rewardComponents: [String: Double]? = nil

    /// Takes the sampled half of an evaluation that arrived at this step.
    mutating func recordSampled(_ e: BackgroundEvaluator.Result) {
        evalSampledAccuracy = e.sampledAccuracy
        evalSampledAUC = e.sampledAUC
        evalSampledECE = e.sampledECE
    }
}
