// The one refill rule of dynamic sampling (ALGORITHMS.md §4.6), for both training loops: a
// group whose samples all scored alike has a zero advantage everywhere and carries no signal.
// With dynamic sampling on, such groups are taken and left out of the batch (`filtered`: they
// count as trained), and more are taken until the batch holds `count` groups with signal — or,
// when `no_signal_batches` × `count` groups in a row had none and the batch is still empty, the
// loop gives up (those groups are `no_signal_batches` batches without signal for LearningHealth).
// Without dynamic sampling every group goes into the batch.
//
// The daemon's ingest actor offers its buffered groups oldest first to a `BatchFill`
// (`IngestState.takeBatch(filling:)`) until the verdict is no longer `.needMore`; SyncTraining
// samples prompts and offers their groups the same way. One rule, both loops.

import Objectives
import Rollout

/// Accepts a step's groups one at a time and says whether the batch is full, needs more, or
/// the loop gives up for lack of signal.
package struct BatchFill<Group> {
    /// Where filling stands.
    package enum State: Sendable, Equatable {
        /// Fewer than `count` groups with signal and no reason to give up: take more.
        case needMore
        /// `count` groups in the batch: train it.
        case full
        /// `giveUpAfter` groups in a row without signal and none with: no batch this time.
        case gaveUp
    }

    /// Groups the batch needs.
    package let count: Int
    /// Whether groups without signal are left out (dynamic sampling).
    package let filtering: Bool
    /// Groups in a row without signal after which an empty batch gives up (0 = never).
    package let giveUpAfter: Int
    /// The groups of the batch, in the order offered.
    package private(set) var batch: [Group] = []
    /// The groups left out for lack of signal, in the order offered.
    package private(set) var filtered: [Group] = []

    /// The rule for batches of `count` groups; `noSignalBatches` (`training.no_signal_batches`,
    /// 0 = never) batches' worth of groups without signal end an empty batch.
    package init(count: Int, dynamicSampling: Bool, noSignalBatches: Int) {
        self.count = max(0, count)
        filtering = dynamicSampling
        giveUpAfter = dynamicSampling ? max(0, noSignalBatches) * self.count : 0
    }

    /// The verdict for the groups offered so far.
    package var state: State {
        if batch.count >= count { return .full }
        if giveUpAfter > 0 && batch.isEmpty && filtered.count >= giveUpAfter { return .gaveUp }
        return .needMore
    }

    /// Groups offered so far.
    package var taken: Int { batch.count + filtered.count }

    /// Groups to take next so that a round never overshoots the verdict: the batch's missing
    /// groups (while the batch is empty, never more than the groups left before giving up).
    package var wanted: Int {
        guard state == .needMore else { return 0 }
        let missing = count - batch.count
        return giveUpAfter > 0 && batch.isEmpty ? min(missing, giveUpAfter - filtered.count) : missing
    }

    /// Offers the next group (`hasSignal`: its samples did not all score alike); returns the
    /// verdict after it. The caller stops offering once it is not `.needMore`.
    @discardableResult
    package mutating func offer(_ group: Group, hasSignal: Bool) -> State {
        if !filtering || hasSignal { batch.append(group) } else { filtered.append(group) }
        return state
    }
}

extension BatchFill where Group == RolloutGroup {
    /// Offers `group`, judged by `RolloutGroup.hasSignal` (the one definition, Rollout/RolloutGroup.swift).
    @discardableResult
    package mutating func offer(_ group: RolloutGroup) -> State { offer(group, hasSignal: group.hasSignal) }
}

extension BatchFill: Sendable where Group: Sendable {}
extension BatchFill.State: CustomStringConvertible {
    package var description: String {
        switch self {
        case .needMore: "need more"
        case .full: "full"
        case .gaveUp: "gave up"
        }
    }
}
