// `tributary experiment` (issue 3 §4): deterministic simulated asynchrony in one process.
// For every seed a warm start is pretrained once; then every (objective, staleness) pair
// trains from it with batches sampled by the policy of `s` versions ago (optionally reusing
// the last K batches), so staleness effects compare exactly and reproducibly without the
// network. Each run records rollouts to the target accuracy, final accuracy, the ratio tail,
// KL spikes and the final entropy.

import Foundation
import Objectives
import Policy
import Tasks
import Tensor
import Training

/// What to run.
package struct ExperimentSpec: Codable, Sendable {
    package var task: TaskSpec
    package var preset: String
    /// Objective presets, each optionally with overrides: `r2vpo:delta=0.05,eta_lambda=0.1`.
    package var objectives: [String]
    package var staleness: [Int]
    package var seeds: [UInt64]
    /// Rollouts (prompts × G) each run may consume.
    package var budgetRollouts: Int
    package var target: Double = 0.95
    package var warmStartAccuracy: Double = 0.3
    /// What `warmStartAccuracy` measures (nil: greedy, as the grids of docs/experiments.md).
    package var warmStartMetric: WarmStartTarget.Metric? = nil
    /// Sampling temperature of the sampled warm-start metric (nil: 1, the experiments' rollouts).
    package var warmStartTemperature: Float? = nil
    package var replayBatches: Int = 0
    package var epochs: Int = 2
    package var minibatches: Int = 2
    package var learningRate: Float?
    package var promptsPerStep: Int = 16
    package var groupSize: Int = 8
    package var evalEvery: Int = 10
    package var evalSize: Int = 500

    package init(task: TaskSpec, preset: String, objectives: [String], staleness: [Int], seeds: [UInt64], budgetRollouts: Int) {
        self.task = task; self.preset = preset; self.objectives = objectives; self.staleness = staleness
        self.seeds = seeds; self.budgetRollouts = budgetRollouts
    }
}

/// One run's outcome (a row of results.csv).
package struct ExperimentRun: Codable, Sendable {
    package var objective: String
    package var staleness: Int
    package var seed: UInt64
    package var rolloutsToTarget: Int?
    package var finalAccuracy: Double
    package var startAccuracy: Double
    package var ratioQ999Max: Double
    /// Median over steps of the per-step ratio q99.9 (robust to one early outlier).
    package var ratioQ999Median: Double
    package var ratioMax: Double
    package var klSpikes: Int
    package var entropyEnd: Double
    package var lambdaEnd: Double?
    package var steps: Int
    package var seconds: Double
    /// (rollouts, held-out greedy accuracy) at every evaluation.
    package var curve: [[Double]]
    /// (step, ratio q99.9, ratio max, k3 KL to behaviour, λ or 0) per step.
    package var tail: [[Double]]
}

package enum Experiment {
    /// Splits `name:key=value,…` into the preset name and its overrides.
    package static func parseObjective(_ text: String) throws -> ObjectiveConfig {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let overrides = parts.count > 1 ? try ObjectiveConfig.parseOverrides(parts[1]) : [:]
        var c = try ObjectiveConfig.parse(name: parts[0], overrides: overrides)
        c.name = text
        return c
    }

    /// A KL spike: a step whose k3 KL to the behaviour policy exceeds both 0.05 and five times
    /// the median of the previous 20 steps.
    package static func countKLSpikes(_ kl: [Double]) -> Int {
        var spikes = 0
        for i in kl.indices where i >= 5 {
            let window = kl[max(0, i - 20)..<i].sorted()
            let median = window[window.count / 2]
            if kl[i] > 0.05 && kl[i] > 5 * median { spikes += 1 }
        }
        return spikes
    }

    /// Pretrains the warm start for `seed` (or reuses one already in `dir`).
    package static func warmStart(_ spec: ExperimentSpec, task: any VerifiableTask, seed: UInt64, dir: URL) throws -> URL {
        let ckpt = RunDirectory.checkpoint(dir)
        if FileManager.default.fileExists(atPath: ckpt.appendingPathComponent(Checkpoint.modelFile).path) { return ckpt }
        let cfg = try ModelConfig.preset(spec.preset, vocabSize: task.tokenizer.vocabSize)
        let gpt = try GPT(config: cfg, seed: seed)
        let opt = AdamW(layout: gpt.layout, config: AdamWConfig(learningRate: 1e-3, weightDecay: 0.01))
        let metric = spec.warmStartMetric ?? .greedy
        // A sampled evaluation generates a completion per held-out prompt: every 5 steps, not every step.
        let o = try Pretraining.run(model: gpt, optimizer: opt, task: task, seed: seed, batch: 64,
                                    until: WarmStartTarget(metric, spec.warmStartAccuracy, temperature: spec.warmStartTemperature ?? 1), maxSteps: 20_000,
                                    evalEvery: metric == .greedy ? 1 : 5, evalSet: task.evaluationSet(seed: 0xE7A1, size: 1000))
        let state = TrainerState(phase: "pretrain", task: task.spec, preset: spec.preset, seed: seed, step: o.steps,
                                 promptCursor: o.promptCursor, evalGreedyAccuracy: o.evalGreedyAccuracy)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Checkpoint.save(to: ckpt, model: gpt, optimizer: nil, vocab: task.tokenizer.vocabulary, trainerState: try state.encoded(),
                            extraFiles: try task.tokenizer.checkpointFiles())
        return ckpt
    }

    /// Runs one (objective, staleness, seed) from the warm start.
    package static func runOne(_ spec: ExperimentSpec, task: any VerifiableTask, objective: String, staleness: Int,
                              seed: UInt64, warm: URL, onStep: (StepReport) -> Void = { _ in }) throws -> ExperimentRun {
        let ck = try Checkpoint.load(from: warm)
        var opts = TrainOptions.defaults(preset: spec.preset)
        opts.steps = max(1, spec.budgetRollouts / (spec.promptsPerStep * spec.groupSize))
        opts.rolloutBudget = spec.budgetRollouts   // binds under dynamic sampling, which samples more per step
        opts.promptsPerStep = spec.promptsPerStep; opts.groupSize = spec.groupSize
        opts.evalEvery = spec.evalEvery; opts.evalSize = spec.evalSize; opts.target = spec.target
        opts.seed = seed; opts.staleness = staleness; opts.replayBatches = spec.replayBatches
        opts.update.epochs = spec.epochs; opts.update.minibatches = spec.minibatches
        opts.update.objective = try parseObjective(objective)
        // Experiments measure whole curves: problems are reported in the step reports, not stops.
        opts.health.stopOnNoSignal = false; opts.health.stopOnCollapse = false
        if let lr = spec.learningRate { opts.update.optimizer.learningRate = lr }
        let trainer = try PolicyTrainer(model: ck.model, settings: opts.update)
        let loop = SyncTraining(task: task, trainer: trainer, options: opts,
                                state: TrainerState(phase: "train", task: task.spec, preset: spec.preset, seed: seed))
        let t0 = Date()
        let start = try loop.evaluate()
        loop.state.evalGreedyAccuracy = start
        var curve: [[Double]] = [[0, start]], tail: [[Double]] = []
        var toTarget: Int? = start >= spec.target ? 0 : nil
        var entropyEnd = 0.0
        let reports = try loop.run { r in
            if r.update.optimizerSteps > 0 {
                tail.append([Double(r.step), r.update.ratioQ999Max, r.update.ratioMax, r.update.klBehaviour,
                             r.update.metrics?.lambda ?? 0])
                entropyEnd = r.update.entropy
            }
            if let e = r.evalGreedyAccuracy {
                curve.append([Double(r.rollouts), e])
                if e >= spec.target && toTarget == nil { toTarget = r.rollouts }
            }
            onStep(r)
        }
        return ExperimentRun(objective: objective, staleness: staleness, seed: seed, rolloutsToTarget: toTarget,
                             finalAccuracy: loop.state.evalGreedyAccuracy ?? start, startAccuracy: start,
                             ratioQ999Max: tail.map { $0[1] }.max() ?? 1,
                             ratioQ999Median: tail.isEmpty ? 1 : tail.map { $0[1] }.sorted()[tail.count / 2],
                             ratioMax: tail.map { $0[2] }.max() ?? 1,
                             klSpikes: countKLSpikes(tail.map { $0[3] }), entropyEnd: entropyEnd,
                             lambdaEnd: trainer.settings.objective.bound == .variance ? trainer.objectiveState.lambda : nil,
                             steps: reports.count, seconds: Date().timeIntervalSince(t0), curve: curve, tail: tail)
    }
}
