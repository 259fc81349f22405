// DAPO dynamic sampling (ALGORITHMS.md §4.6): a group whose rewards are all equal has zero
// advantage for every sample and carries no signal; DAPO keeps only groups with
// 0 < #correct < G (for binary rewards: reward variance > 0). Two forms:
// * a batch-level filter on rollout groups / training batches (the learner refills);
// * the kernel switch `dynamic_sampling`, which removes such sequences from the mask so
//   they do not dilute token-mean denominators.
// The preset (§4.6): clip-higher ε_low 0.2 / ε_high 0.28 (GRPO.swift's clip), dynamic sampling,
// token-mean, no KL.

import Rollout

extension PresetInfo {
    static let dapo = PresetInfo(name: "dapo", paper: "DAPO baseline", reference: "§4.6, DAPO.swift", reconstructed: false) { c in
        c.clipHigh = 0.28; c.dynamicSampling = true
    }
}

/// 1. The kernel switch `dynamic_sampling`: sequences of zero-variance groups leave the mask.
struct DynamicSampling: KernelStage {
    func selectSequences(_ p: inout KernelPass) throws {
        guard let rewards = p.batch.rewards, let ids = p.batch.groupIDs else { return }
        let keep = dynamicSamplingKeep(rewards: rewards, groupIDs: ids)
        for i in 0..<p.N where !keep[i] { p.seqKeep[i] = false }
        p.m.dynamicSamplingDroppedFraction = p.m.zeroVarianceGroupFraction
    }
}

/// The fraction of groups whose rewards are all equal (a panel metric for every objective).
func zeroVarianceGroupFraction(rewards: [Float], groupIDs: [Int32]) -> Double {
    let groups = groupMembers(groupIDs)
    let zero = groups.filter { !rewardsHaveSignal($0.map { rewards[$0] }) }.count
    return groups.isEmpty ? 0 : Double(zero) / Double(groups.count)
}

/// DAPO's filter over rollout groups: the informative groups and the dropped fraction.
package func dynamicSamplingFilter(_ groups: [RolloutGroup]) -> (kept: [RolloutGroup], droppedFraction: Double) {
    let kept = groups.filter(\.hasSignal)
    return (kept, groups.isEmpty ? 0 : Double(groups.count - kept.count) / Double(groups.count))
}

/// Per-sequence keep flags: false for sequences of zero-variance groups.
func dynamicSamplingKeep(rewards: [Float], groupIDs: [Int32]) -> [Bool] {
    var keep = [Bool](repeating: true, count: rewards.count)
    for idx in groupMembers(groupIDs) where !rewardsHaveSignal(idx.map { rewards[$0] }) {
        for i in idx { keep[i] = false }
    }
    return keep
}

extension TrainingBatch {
    /// The batch without zero-variance groups (DAPO §4.6), and the dropped group fraction.
    package func droppingZeroVarianceGroups() -> (batch: TrainingBatch, droppedFraction: Double) {
        let keep = dynamicSamplingKeep(rewards: rewards, groupIDs: groupIDs)
        let groups = Set(groupIDs).count
        let dropped = Set(zip(groupIDs, keep).filter { !$0.1 }.map(\.0)).count
        return (rows((0..<count).filter { keep[$0] }), groups == 0 ? 0 : Double(dropped) / Double(groups))
    }
}
