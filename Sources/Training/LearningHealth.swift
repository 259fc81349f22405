// Whether learning can work (issue 13 §4): watches every step's reward signal and the held-out
// accuracy, and says — with the likely cause and the remedy — when N batches in a row carried
// no reward signal or held-out accuracy collapsed from its best. One value type shared by the
// daemon's training loop (Learner's TrainingLoop.swift) and the offline loop (SyncTraining.swift):
// the batch's signal is recorded by the training step both run (TrainingStep.swift), held-out
// accuracy by each loop. Driven only by step results (no clocks), so tests feed it sequences.

import Foundation
import Objectives
import Rollout

/// When the learner reports that learning cannot work, and whether it then stops.
package struct HealthSettings: Codable, Sendable, Equatable {
    /// Batches in a row without reward signal (no group with reward variance) before the
    /// learner reports it; 0 = never.
    package var noSignalBatches: Int = 50
    /// Stop training when `noSignalBatches` is reached (otherwise only warn).
    package var stopOnNoSignal: Bool = true
    /// Held-out greedy accuracy more than this far below its best (absolute: 0.15 = 15 points)
    /// is a collapse; 0 = never.
    package var collapseDrop: Double = 0.15
    /// Stop training at a collapse (otherwise only warn).
    package var stopOnCollapse: Bool = true

    package init() {}
    package init(noSignalBatches: Int, stopOnNoSignal: Bool = true, collapseDrop: Double, stopOnCollapse: Bool = true) {
        self.noSignalBatches = noSignalBatches; self.stopOnNoSignal = stopOnNoSignal
        self.collapseDrop = collapseDrop; self.stopOnCollapse = stopOnCollapse
    }

    /// Checks ranges.
    package func validate() throws {
        if noSignalBatches < 0 { throw RunError("no_signal_batches must be ≥ 0 (0 = never report), not \(noSignalBatches)") }
        if !(collapseDrop >= 0 && collapseDrop <= 1) {
            throw RunError("collapse_drop must be in 0…1 (a drop in held-out accuracy; 0 = never report), not \(collapseDrop)")
        }
    }
}

/// What one batch said about the reward signal.
package struct BatchSignal: Sendable, Equatable {
    package var groups: Int
    /// Groups whose samples did not all get the same reward: the only ones with an advantage.
    package var groupsWithSignal: Int
    package var samples: Int
    package var correct: Int
    package var rewardMin: Double
    package var rewardMax: Double

    package init(groups: Int, groupsWithSignal: Int, samples: Int, correct: Int, rewardMin: Double, rewardMax: Double) {
        self.groups = groups; self.groupsWithSignal = groupsWithSignal; self.samples = samples
        self.correct = correct; self.rewardMin = rewardMin; self.rewardMax = rewardMax
    }

    /// From each group's rewards and correctness.
    package init(groups: [[(reward: Double, correct: Bool)]]) {
        let all = groups.flatMap { $0 }
        self.init(groups: groups.count,
                  groupsWithSignal: groups.filter { g in rewardsHaveSignal(g.map(\.reward)) }.count,
                  samples: all.count, correct: all.filter(\.correct).count,
                  rewardMin: all.map(\.reward).min() ?? 0, rewardMax: all.map(\.reward).max() ?? 0)
    }

    /// From the groups' samples.
    package init(_ groups: [RolloutGroup]) {
        self.init(groups: groups.map { g in g.samples.map { (reward: Double($0.reward), correct: $0.correct) } })
    }

    package var hasSignal: Bool { groupsWithSignal > 0 }
}

/// A reported problem: what happened, when, and what to do.
package struct HealthProblem: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable { case noSignal = "no_signal", collapse }
    package var kind: Kind
    /// The step at which it was reported.
    package var step: Int
    /// The likely cause and the remedy, one paragraph.
    package var message: String
    /// Whether training stops because of it.
    package var stops: Bool
}

/// The `/status` view of `LearningHealth`.
package struct HealthReport: Codable, Sendable, Equatable {
    /// Batches in a row, up to now, without reward signal.
    package var batchesWithoutSignal: Int
    /// The limit (`training.no_signal_batches`; 0 = never reported).
    package var noSignalLimit: Int
    package var bestEvalAccuracy: Double?
    package var bestEvalStep: Int?
    /// The problem in effect (nil = none): cleared when signal returns or accuracy recovers.
    package var problem: HealthProblem?
}

/// Counts batches without reward signal and watches held-out accuracy for a collapse.
package struct LearningHealth: Sendable, Equatable {
    package var settings: HealthSettings
    /// Batches in a row without signal, and what their samples had in common.
    package private(set) var batchesWithoutSignal = 0
    private var streak = BatchSignal(groups: 0, groupsWithSignal: 0, samples: 0, correct: 0, rewardMin: .infinity, rewardMax: -.infinity)
    package private(set) var bestEvalAccuracy: Double?
    package private(set) var bestEvalStep: Int?
    /// The problem in effect, if any.
    package private(set) var problem: HealthProblem?
    /// The first problem that stops training (kept once set).
    package private(set) var stopProblem: HealthProblem?

    package init(settings: HealthSettings = HealthSettings()) { self.settings = settings }

    /// Whether training should stop now.
    package var shouldStop: Bool { stopProblem != nil }

    package var report: HealthReport {
        HealthReport(batchesWithoutSignal: batchesWithoutSignal, noSignalLimit: settings.noSignalBatches,
                     bestEvalAccuracy: bestEvalAccuracy, bestEvalStep: bestEvalStep, problem: problem)
    }

    /// Records the batch of `step`; returns a problem when this batch is the one that makes
    /// it (reported once per streak: warn then).
    package mutating func record(_ b: BatchSignal, step: Int) -> HealthProblem? {
        if b.hasSignal {
            batchesWithoutSignal = 0
            streak = BatchSignal(groups: 0, groupsWithSignal: 0, samples: 0, correct: 0, rewardMin: .infinity, rewardMax: -.infinity)
            if problem?.kind == .noSignal { problem = nil }
            return nil
        }
        batchesWithoutSignal += 1
        streak.groups += b.groups; streak.samples += b.samples; streak.correct += b.correct
        streak.rewardMin = min(streak.rewardMin, b.rewardMin); streak.rewardMax = max(streak.rewardMax, b.rewardMax)
        guard settings.noSignalBatches > 0, batchesWithoutSignal == settings.noSignalBatches else { return nil }
        return raise(HealthProblem(kind: .noSignal, step: step, message: noSignalMessage(), stops: settings.stopOnNoSignal))
    }

    /// Records a held-out greedy accuracy measured at `step`; returns a problem when it is a
    /// new collapse (more than `collapseDrop` below the best so far).
    package mutating func record(evalAccuracy acc: Double, step: Int) -> HealthProblem? {
        guard acc.isFinite else { return nil }
        if bestEvalAccuracy.map({ acc > $0 }) ?? true { bestEvalAccuracy = acc; bestEvalStep = step }
        let best = bestEvalAccuracy ?? acc
        let collapsed = settings.collapseDrop > 0 && best - acc > settings.collapseDrop
        if !collapsed {
            if problem?.kind == .collapse { problem = nil }
            return nil
        }
        if problem?.kind == .collapse { return nil }   // reported already
        let message = String(format: """
            held-out greedy accuracy collapsed: %.1f%% at step %d, down from its best %.1f%% at step %d \
            (more than the %.0f points allowed by collapse_drop). Likely cause: updates too large for this \
            task (learning rate, too many epochs over stale batches) or the policy drifting to a degenerate \
            answer. Remedy: lower the learning rate (training.learning_rate / --lr), use fewer epochs or \
            a lower staleness cap, add a KL term; the best weights are the checkpoint near step %d.
            """, 100 * acc, step, 100 * best, bestEvalStep ?? 0, 100 * settings.collapseDrop, bestEvalStep ?? 0)
        return raise(HealthProblem(kind: .collapse, step: step, message: message, stops: settings.stopOnCollapse))
    }

    private mutating func raise(_ p: HealthProblem) -> HealthProblem {
        problem = p
        if p.stops && stopProblem == nil { stopProblem = p }
        return p
    }

    /// The cause and remedy of a no-signal streak, from what its samples had in common.
    private func noSignalMessage() -> String {
        let n = batchesWithoutSignal, s = streak
        let head = "no reward signal in the last \(n) batches (\(s.groups) groups, \(s.samples) samples): every group's samples all got the same reward, so every advantage was zero and no update happened."
        let reward = s.rewardMin == s.rewardMax ? String(format: "%g", s.rewardMin) : String(format: "%g…%g", s.rewardMin, s.rewardMax)
        if s.correct == 0 {
            return head + " None of the samples was correct (reward \(reward)): the policy never solves the task."
                + " Likely cause: the warm start is too weak (its sampled accuracy at the rollout temperature is about 0), or the answers are unreachable for the model or the reward."
                + " Remedy: pretrain longer (`tributary pretrain --target-accuracy 0.5`) and start from it with --init, use partial credit (partial=true in the task spec),"
                + " or check with `tributary eval` that a correct answer can be sampled and scored."
        }
        if s.correct == s.samples {
            return head + " Every sample was correct (reward \(reward)): the policy always solves these prompts, so there is nothing left to learn from them."
                + " Remedy: stop here (lower the target), or train on a harder task (more digits, harder rows)."
        }
        return head + String(format: " %.0f%% of the samples were correct, but each prompt was either always or never solved (reward %@).", 100 * Double(s.correct) / Double(max(1, s.samples)), reward)
            + " Remedy: sample more diverse completions (raise rollout.temperature or rollout.group_size) or use partial credit (partial=true)."
    }
}
