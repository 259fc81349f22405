// Synchronous GRPO in one process (issue 2 §4): each step samples G completions for P
// training prompts with the current policy (under dynamic sampling, until P groups have
// signal: BatchFill.swift), scores them, and hands them to the training step the learner
// daemon runs too (TrainingStep.swift: batch, dump, update, version, figures, health); it
// evaluates every few steps. Stops at the target held-out greedy accuracy or the step budget.

import Foundation
import Objectives
import Policy
import Tasks
import Tensor
import Rollout

/// Settings of a synchronous training run.
package struct TrainOptions: Codable, Sendable, Equatable {
    package var steps: Int = 600
    package var promptsPerStep: Int = 16
    package var groupSize: Int = 8
    package var temperature: Float = 1
    package var topK: Int? = nil
    package var evalEvery: Int = 10
    package var evalSize: Int = 1000
    /// Stop once held-out greedy accuracy reaches this (> 1 disables).
    package var target: Double = 0.95
    package var seed: UInt64 = 0
    /// Save `checkpoints/step-N` before every `checkpointEvery`-th batch (0 = never).
    package var checkpointEvery: Int = 0
    /// Simulated asynchrony: sample each batch with the policy from this many versions ago
    /// (fewer at the start of a run). 0 = synchronous on-policy GRPO.
    package var staleness: Int = 0
    /// Reuse the groups of the previous `replayBatches` steps in every update (stale data reuse).
    package var replayBatches: Int = 0
    /// Stop once this many rollouts (completions) were sampled; nil = the step budget only.
    /// Under dynamic sampling a step samples more than `promptsPerStep × groupSize`.
    package var rolloutBudget: Int? = nil
    /// When to report (and stop) that learning cannot work (LearningHealth.swift).
    package var health = HealthSettings()
    package var update: UpdateSettings

    package init(update: UpdateSettings) { self.update = update }

    /// Per-preset defaults chosen by measurement (docs/benchmarks.md): the learning rate is
    /// the knob the PyTorch reference found decisive.
    package static func defaults(preset: String) -> TrainOptions {
        let lr: Float
        switch preset {
        case "tiny": lr = 3e-4
        case "small": lr = 3e-5
        default: lr = 1e-5
        }
        return TrainOptions(update: UpdateSettings(optimizer: AdamWConfig(learningRate: lr, weightDecay: 0.01)))
    }
}

/// One step's figures (also the metrics JSON line).
package struct StepReport: Codable, Sendable {
    package var step: Int
    package var version: PolicyVersion
    /// Rollouts (completions) sampled so far, those dynamic sampling left out included.
    package var rollouts: Int
    package var reward: Double
    package var accuracy: Double
    package var zeroVarianceGroups: Double
    /// Mean staleness of the trained groups (`TrainingStep.meanStaleness`: per group).
    package var meanStaleness: Double
    package var evalGreedyAccuracy: Double?
    package var update: UpdateStats
    package var seconds: Double
    /// Whether the step had an optimizer step; the tokens that went through one and the
    /// seconds the update took; their rate, nil without an update (UpdateThroughput.swift).
    package var updated: Bool
    package var trainedTokens: Int
    package var updateSeconds: Double
    package var tokensPerSecond: Double?
    /// Batches in a row without reward signal, up to this one.
    package var batchesWithoutSignal: Int
    /// A problem first reported at this step (no signal, collapse; LearningHealth.swift).
    package var problem: HealthProblem?
}

/// The synchronous training loop around a `PolicyTrainer`.
package final class SyncTraining {
    package let task: any VerifiableTask
    package let trainer: PolicyTrainer
    package var options: TrainOptions
    package var state: TrainerState
    package let evalSet: [Prompt]
    /// Where to write batch files (`batch-NNNNNN.safetensors`), if anywhere.
    package var dumpBatches: URL?
    /// Run directory for periodic checkpoints.
    package var runDirectory: URL?
    /// Whether learning can work, as of the last step of `run` (`stopProblem`: why it stopped).
    package private(set) var health = LearningHealth()

    package init(task: any VerifiableTask, trainer: PolicyTrainer, options: TrainOptions, state: TrainerState) {
        self.task = task; self.trainer = trainer; self.options = options; self.state = state
        evalSet = task.evaluationSet(seed: 0xE7A1, size: options.evalSize)
    }

    package func evaluate() throws -> Double {
        try Evaluator.greedyAccuracy(model: trainer.model, task: task, prompts: evalSet)
    }

    /// The shuffle seed of the update at `step` (recorded in batch files for replay).
    package func shuffleSeed(step: Int) -> UInt64 { TrainingStep.shuffleSeed(seed: state.seed, step: step) }

    /// Runs until the target, the step budget or a problem that stops training (`health`);
    /// `onStep` sees every step's report. Each step's groups are sampled under the refill rule
    /// (`BatchFill`: with dynamic sampling, prompts are sampled until `promptsPerStep` groups
    /// have signal) and trained by `TrainingStep.run`, the daemon's step. A round in which
    /// dynamic sampling gave up is no step (no update), but the batches without signal it stands
    /// for count against the step budget: an offline run ends even when no signal ever comes.
    package func run(onStep: (StepReport) throws -> Void) throws -> [StepReport] {
        var reports: [StepReport] = []
        var rng = state.samplerRNG ?? Xoshiro256(seed: SplitMix64.mix(state.seed, 0x5A3B1E))
        var sampler = GroupSampler(task: task, groupSize: options.groupSize, temperature: options.temperature, topK: options.topK)
        sampler.ghpoStages = trainer.settings.objective.ghpoStages
        if state.evalGreedyAccuracy == nil { state.evalGreedyAccuracy = try evaluate() }
        health = LearningHealth(settings: options.health)
        if let a = state.evalGreedyAccuracy { _ = health.record(evalAccuracy: a, step: state.step) }
        let history = try PolicyHistory(like: trainer.model, depth: options.staleness + 1)
        var replay: [[RolloutGroup]] = []
        var rollouts = state.step * options.promptsPerStep * options.groupSize
        var batchesGivenUp = 0
        while state.step + batchesGivenUp < options.steps && rollouts < (options.rolloutBudget ?? .max) {
            if let acc = state.evalGreedyAccuracy, acc >= options.target { break }
            let t0 = Date()
            // The behaviour policy: the current one, or the one `staleness` versions ago.
            var behaviour = (model: trainer.model, version: state.version)
            if options.staleness > 0 {
                history.record(trainer.model, version: state.version)
                let (old, v) = history.model(atOrAfter: state.version.back(options.staleness))!
                behaviour = (old, v)
            }
            var fill = BatchFill<RolloutGroup>(count: options.promptsPerStep, dynamicSampling: options.update.objective.dynamicSampling,
                                               noSignalBatches: options.health.noSignalBatches)
            while fill.state == .needMore {
                let prompts = (0..<fill.wanted).map { task.prompt(seed: state.seed, index: state.promptCursor + $0, split: .train) }
                state.promptCursor += prompts.count
                let (groups, generated) = try sampler.sampleCounted(prompts, model: behaviour.model, version: behaviour.version, rng: &rng)
                rollouts += generated       // GHPO's hinted resamples included
                for g in groups { fill.offer(g) }
            }
            state.samplerRNG = rng
            if fill.state == .gaveUp {
                _ = TrainingStep.recordNoSignalRound(fill.filtered, batchSize: options.promptsPerStep, step: state.step, health: &health)
                batchesGivenUp += max(1, fill.filtered.count / max(1, options.promptsPerStep))
                if health.shouldStop { break }
                continue
            }
            let replayed = replay.flatMap { $0 }
            if options.replayBatches > 0 {
                replay.append(fill.batch)
                if replay.count > options.replayBatches { replay.removeFirst() }
            }
            if let run = runDirectory, options.checkpointEvery > 0, state.step % options.checkpointEvery == 0 {
                try save(to: RunDirectory.periodic(run, step: state.step))
            }
            let out = try TrainingStep.run(StepGroups(fresh: fill.batch, replayed: replayed, filtered: fill.filtered),
                                           trainer: trainer, step: state.step, version: state.version, seed: state.seed,
                                           tokenizer: task.tokenizer, dumpTo: dumpBatches, health: &health)
            state.step = out.step
            state.version = out.version
            var evalAcc: Double? = nil
            if state.step % max(1, options.evalEvery) == 0 || state.step == options.steps {
                evalAcc = try evaluate()
                state.evalGreedyAccuracy = evalAcc
            }
            var problem = out.problem
            if let evalAcc, let p = health.record(evalAccuracy: evalAcc, step: state.step), problem?.stops != true { problem = p }
            let report = StepReport(step: out.step, version: out.version, rollouts: rollouts, reward: out.reward, accuracy: out.accuracy,
                                    zeroVarianceGroups: out.zeroVarianceGroups, meanStaleness: out.meanStaleness,
                                    evalGreedyAccuracy: evalAcc, update: out.update,
                                    seconds: Date().timeIntervalSince(t0), updated: out.updated,
                                    trainedTokens: out.throughput.trainedTokens, updateSeconds: out.throughput.seconds,
                                    tokensPerSecond: out.throughput.tokensPerSecond,
                                    batchesWithoutSignal: health.batchesWithoutSignal, problem: problem)
            reports.append(report)
            try onStep(report)
            if health.shouldStop { break }
        }
        return reports
    }

    /// Writes a checkpoint of the current weights, optimizer and trainer state.
    package func save(to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir.deletingLastPathComponent(), withIntermediateDirectories: true)
        var st = state
        st.update = options.update
        st.objectiveState = trainer.objectiveState
        try Checkpoint.save(to: dir, model: trainer.model, optimizer: trainer.optimizer,
                            vocab: task.tokenizer.vocabulary, trainerState: try st.encoded(),
                            extraFiles: try task.tokenizer.checkpointFiles())
    }
}
