// One step of the learner's history as `GET /history` and the dashboard's charts show it;
// TrainingLoop appends one per step.

import Rollout

/// One step of the learner's history (the dashboard's charts; `GET /history`).
public struct HistoryPoint: Codable, Sendable {
    public var step: Int
    public var version: PolicyVersion
    /// Seconds since the Unix epoch when the step ended.
    public var time: Double
    public var groupsTrained: Int
    public var reward: Double
    public var accuracy: Double
    /// Held-out greedy accuracy that arrived at this step (evaluation runs beside training)…
    public var evalGreedyAccuracy: Double?
    /// …and the step whose weights it measured (a step or two earlier).
    public var evalStep: Int?
    /// Held-out sampled accuracy from the same evaluation.
    public var evalSampledAccuracy: Double? = nil
    public var meanStaleness: Double
    public var ratioQ99: Double?
    public var ratioQ999: Double?
    public var ratioMax: Double?
    public var klBehaviour: Double?
    public var entropy: Double?
    /// R²VPO's λ when the objective has one.
    public var lambda: Double?
    /// Whether the step had an optimizer step; without one it has no throughput (nil).
    public var updated: Bool
    public var tokensPerSecond: Double?
    public var stepSeconds: Double
    public var publishSeconds: Double
    /// Per reward component: its mean over the groups accepted since the previous step.
    public var rewardComponents: [String: Double]? = nil
}
