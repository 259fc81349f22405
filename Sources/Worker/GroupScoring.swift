// Scoring groups with a task's composite reward in the worker: every sample of a group goes
// to each component in one batch (external programs and reward servers get one call per
// group), the sample's reward becomes the weighted total, and each component's value and
// failure travel to the learner in the TrajectoryGroup (PROTOCOL.md §6.5.2). Failures are
// counted per component and kind; the group is always submitted.

import Rollout
import Rewards
import Tasks
import Wire

/// One scored group, ready for the wire: the samples with their component values.
package struct ComponentScoredGroup: Sendable {
    package var rollout: RolloutGroup
    /// Per sample: each component's value and failure code (`RewardFailureCode`), in label order.
    package var components: [[Float]]
    package var failureCodes: [[UInt8]]
}

/// Failure counts of one worker: component label → failure kind → count.
package struct RewardFailureStats: Sendable, Equatable {
    package private(set) var counts: [String: [String: Int]] = [:]
    package init() {}
    package mutating func record(component: String, kind: String, count: Int = 1) {
        counts[component, default: [:]][kind, default: 0] += count
    }
    package mutating func merge(_ other: RewardFailureStats) {
        for (c, kinds) in other.counts { for (k, n) in kinds { record(component: c, kind: k, count: n) } }
    }
    /// Every failure counted.
    package var total: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}

package enum GroupScoring {
    /// The composite reward `--verifier CMD` stands for: one `external` component with the
    /// one-sample line protocol (`protocol="single"`) and the given per-call timeout.
    package static func verifierReward(command: [String], timeout: Double) throws -> CompositeReward {
        let spec = RewardSpec(name: "external", label: "verifier", options: [
            "command": .array(command.map { .string($0) }), "protocol": "single", "timeout": .double(timeout),
        ])
        return try CompositeReward(specs: [spec])
    }

    /// Scores each group's completions with `rewards` (one batch per group; groups one after
    /// another); returns the groups and every component failure, counted.
    package static func score(_ groups: [RolloutGroup], prompts: [Prompt], task: any VerifiableTask,
                             rewards: CompositeReward) async -> (groups: [ComponentScoredGroup], failures: RewardFailureStats) {
        var failures = RewardFailureStats()
        var out: [ComponentScoredGroup] = []
        out.reserveCapacity(groups.count)
        for (group, prompt) in zip(groups, prompts) {
            // A GHPO hint is part of the answer the rewards judge (RolloutGroup.judgedTokens).
            let inputs = group.samples.indices.map { task.rewardInput(prompt: prompt, completion: group.judgedTokens(of: $0).map(Int.init)) }
            let scored = await rewards.score(batch: inputs)
            var g = ComponentScoredGroup(rollout: group, components: [], failureCodes: [])
            for (i, s) in scored.enumerated() {
                g.rollout.samples[i].reward = wireReward(s.total)
                g.rollout.samples[i].correct = s.correct
                g.components.append(s.components.map { wireReward($0.value) })
                g.failureCodes.append(s.components.map { c in
                    guard let f = c.failure else { return 0 }
                    failures.record(component: c.label, kind: f.kind.rawValue)
                    return RewardFailureCode.code(of: f.kind.rawValue) ?? 255
                })
            }
            out.append(g)
        }
        return (out, failures)
    }

    /// A finite Double as a finite f32 (values beyond f32's range are clamped, never ±∞).
    static func wireReward(_ x: Double) -> Float {
        guard x.isFinite else { return 0 }
        return Float(max(-Double(Float.greatestFiniteMagnitude), min(Double(Float.greatestFiniteMagnitude), x)))
    }

    /// The wire group of a scored group (`rewardComponents` = the composite's labels): the unit's
    /// prompt followed by the group's hint tokens (GHPO), its samples, and the task's reference
    /// (PROTOCOL.md §6.5.3).
    package static func wire(_ g: ComponentScoredGroup, unit: WorkUnit, workerId: UInt64, labels: [String]) -> TrajectoryGroup {
        var rollout = g.rollout
        let hint = max(0, min(rollout.hint, rollout.prompt.count))
        rollout.promptIndex = Int(unit.promptIndex)
        rollout.prompt = unit.promptTokens + rollout.prompt.suffix(hint)
        rollout.hint = hint
        return rollout.wire(leaseId: unit.leaseId, workerId: workerId, components: g.components, failureCodes: g.failureCodes,
                            rewardComponents: labels)
    }
}
