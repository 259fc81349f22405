// The one training step both loops run: the `train` command's (SyncTraining.swift) and the
// learner daemon's (Learner's TrainingLoop.swift). Given the step's groups it assembles the
// batch, dumps it when asked, applies the update, measures its throughput, decides the new
// version, computes the step's figures and records the batch's signal in LearningHealth, and
// returns one `StepOutcome`. The loops keep only what is theirs: where groups come from
// (sampling, the ingest actor), evaluation, checkpoints and publication.
//
// The rules, each in one place here:
// * Version: a version names a set of weights. It goes up by one exactly when the update
//   changed them (at least one optimizer step); a batch without signal (every minibatch
//   skipped) keeps the version, so nothing new is published and the groups sampled meanwhile
//   stay as fresh as they were.
// * Staleness of a group: the learner's version when the batch is trained minus the group's
//   behaviour version (`RolloutGroup.version`). A step's figure is the mean over its trained
//   groups, per group: the version belongs to the group (all its samples share it; admission
//   caps it per group), so a group counts once whatever its size. With equal group sizes it
//   equals the per-sample mean.
// * Refill under dynamic sampling: BatchFill.swift.

import Foundation
import Objectives
import Policy
import Rollout
import Tasks
import Tensor

/// The groups of one training step.
package struct StepGroups: Sendable {
    /// Groups taken for this step that go into the batch (under dynamic sampling: those with signal).
    package var fresh: [RolloutGroup]
    /// Groups of earlier steps trained again (stale data reuse, `TrainOptions.replayBatches`):
    /// in the batch before `fresh`, but not in the step's reward and accuracy.
    package var replayed: [RolloutGroup]
    /// Groups dynamic sampling took for this step and left out (no signal): not in the batch,
    /// but trained as far as accounting goes, and in the batch's signal for LearningHealth.
    package var filtered: [RolloutGroup]

    package init(fresh: [RolloutGroup], replayed: [RolloutGroup] = [], filtered: [RolloutGroup] = []) {
        self.fresh = fresh; self.replayed = replayed; self.filtered = filtered
    }

    /// The groups of the batch, in batch order.
    package var trained: [RolloutGroup] { replayed + fresh }
}

/// What one training step did.
package struct StepOutcome: Sendable {
    /// The step's number: steps done, this one included.
    package var step: Int
    /// The learner's version when the batch was trained (the weights before the update).
    package var trainedAt: PolicyVersion
    /// The version after the step: `trainedAt + 1` when the weights changed, else `trainedAt`.
    package var version: PolicyVersion
    /// The shuffle seed of the update (recorded in the batch file for replay).
    package var shuffleSeed: UInt64
    /// What the update did (its objective metrics include dynamic sampling's dropped fraction).
    package var update: UpdateStats
    package var throughput: UpdateThroughput
    /// Groups in the batch, and groups dynamic sampling left out.
    package var trainedGroups: Int
    package var filteredGroups: Int
    /// Mean reward and fraction correct over the fresh groups' samples.
    package var reward: Double
    package var accuracy: Double
    /// Fraction of the groups taken for this step (fresh and filtered) without reward signal.
    package var zeroVarianceGroups: Double
    /// Mean staleness of the trained groups (file comment).
    package var meanStaleness: Double
    /// What the batch (trained and filtered groups) said about the reward signal.
    package var signal: BatchSignal
    /// A problem LearningHealth reported at this batch, if any.
    package var problem: HealthProblem?
    /// Seconds from assembly to the end of the update.
    package var seconds: Double

    /// Whether the weights changed (an optimizer step happened).
    package var updated: Bool { version != trainedAt }
}

/// The training step and its rules.
package enum TrainingStep {
    /// Runs one step on `groups` with `trainer` (file comment). `step` is the number of steps
    /// done before it, `version` the learner's version, `seed` the run's seed (the update's
    /// shuffle seed derives from it and the step); with `dumpTo` the batch file is written there
    /// before the update. The batch's signal is recorded in `health`.
    package static func run(_ groups: StepGroups, trainer: PolicyTrainer, step: Int, version: PolicyVersion, seed: UInt64,
                           tokenizer: any TaskTokenizer, dumpTo dumps: URL?, health: inout LearningHealth) throws -> StepOutcome {
        let t0 = Date()
        let settings = trainer.settings
        let trained = groups.trained
        let batch = try TrainingBatch.assemble(trained, pad: Int32(tokenizer.pad), objective: settings.objective)
        let shuffle = shuffleSeed(seed: seed, step: step)
        if let dumps {
            try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
            try BatchDumps.write(batch, groups: trained, filtered: groups.filtered, to: dumps, step: step, learnerVersion: version,
                                 settings: settings, shuffleSeed: shuffle, tokenizer: tokenizer)
        }
        let u0 = Date()
        var stats = try trainer.update(batch, learnerVersion: version, shuffleSeed: shuffle)
        let throughput = UpdateThroughput(
            trainedTokens: UpdateThroughput.trainedTokens(batch, epochs: settings.epochs, minibatches: settings.minibatches,
                                                          shuffleSeed: shuffle, optimizerSteps: stats.optimizerSteps,
                                                          skippedMinibatches: stats.skippedMinibatches),
            seconds: Date().timeIntervalSince(u0))
        let taken = groups.fresh.count + groups.filtered.count
        if settings.objective.dynamicSampling {
            // The groups left out were left out here, not in the kernel (whose batch has none left).
            stats.metrics?.dynamicSamplingDroppedFraction = Double(groups.filtered.count) / Double(max(1, taken))
        }
        if settings.objective.ghpoStages > 0 {
            // GHPO (GHPO.swift): the groups taken for this step that carry a hint.
            stats.metrics?.ghpoHintedFraction = Double((groups.fresh + groups.filtered).filter { $0.hint > 0 }.count) / Double(max(1, taken))
        }
        let done = step + 1
        var signal = BatchSignal(trained + groups.filtered)
        // A trained group's demonstration is a learning signal of its own (RPO's SFT term; HNPG's
        // off-policy sample unless every sample already scored as well), so a run of groups the
        // policy never solves is not "no signal" for these objectives.
        signal.groupsWithSignal += trained.filter { !$0.hasSignal && demonstrationSignal($0, settings.objective) }.count
        let problem = health.record(signal, step: done)
        let fresh = groups.fresh.flatMap(\.samples)
        let withoutSignal = groups.fresh.filter { !$0.hasSignal }.count + groups.filtered.count
        return StepOutcome(step: done, trainedAt: version, version: newVersion(after: version, update: stats),
                           shuffleSeed: shuffle, update: stats, throughput: throughput,
                           trainedGroups: trained.count, filteredGroups: groups.filtered.count,
                           reward: fresh.reduce(0) { $0 + Double($1.reward) } / Double(max(1, fresh.count)),
                           accuracy: Double(fresh.filter(\.correct).count) / Double(max(1, fresh.count)),
                           zeroVarianceGroups: Double(withoutSignal) / Double(max(1, taken)),
                           meanStaleness: meanStaleness(trained, learnerVersion: version),
                           signal: signal, problem: problem, seconds: Date().timeIntervalSince(t0))
    }

    /// Whether `group`'s demonstration row gives `objective` a gradient (docs/algorithms.md
    /// "Demonstration rows"): RPO's SFT term always; HNPG's when some sample scored below the
    /// demonstration's reward.
    static func demonstrationSignal(_ group: RolloutGroup, _ objective: ObjectiveConfig) -> Bool {
        guard !group.reference.isEmpty else { return false }
        if objective.sftCoef > 0 { return true }
        guard objective.offlineWeight != nil else { return false }
        let r = demonstrationReward(group.samples.map(\.reward))
        return group.samples.contains { $0.reward != r }
    }

    /// The version after an update at `version`: one more exactly when it changed the weights.
    package static func newVersion(after version: PolicyVersion, update: UpdateStats) -> PolicyVersion {
        update.optimizerSteps > 0 ? version.next : version
    }

    /// How many versions behind the learner a group is when trained at `learnerVersion`.
    package static func staleness(of group: RolloutGroup, learnerVersion: PolicyVersion) -> Int { group.version.staleness(at: learnerVersion) }

    /// The mean staleness of `groups` trained at `learnerVersion`, per group (0 without groups).
    package static func meanStaleness(_ groups: [RolloutGroup], learnerVersion: PolicyVersion) -> Double {
        Double(groups.reduce(0) { $0 + staleness(of: $1, learnerVersion: learnerVersion) }) / Double(max(1, groups.count))
    }

    /// The shuffle seed of the update at `step` of a run seeded with `seed`.
    package static func shuffleSeed(seed: UInt64, step: Int) -> UInt64 { SplitMix64.mix(seed, 0x5EED, UInt64(step)) }

    /// Dynamic sampling gave up (`BatchFill.State.gaveUp`): the `filtered` groups had no signal.
    /// No batch, no update and no step; every `batchSize` of them is recorded in `health` as one
    /// batch without signal, at `step` (the steps done). Returns the last problem reported.
    package static func recordNoSignalRound(_ filtered: [RolloutGroup], batchSize: Int, step: Int,
                                           health: inout LearningHealth) -> HealthProblem? {
        var problem: HealthProblem?
        let size = max(1, batchSize)
        for start in stride(from: 0, to: filtered.count, by: size) {
            problem = health.record(BatchSignal(Array(filtered[start..<min(filtered.count, start + size)])), step: step) ?? problem
        }
        return problem
    }
}
