// `tributary train`: synchronous GRPO in one process from a warm-started checkpoint, with a
// progress bar (reward, accuracy, step rate) on a terminal and plain log lines otherwise.

import ArgumentParser
import Foundation
import Learner
import Objectives
import Policy
import Tasks
import Tensor
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synchronous GRPO from a checkpoint: sample groups, score, update, evaluate.")

    @Option(help: "Task spec (default: the init checkpoint's task).")
    var task: String?

    @Option(name: .customLong("init"), help: "Checkpoint or run directory to start from (e.g. a pretrain run).")
    var initFrom: String

    @Option(help: "Run directory to write (checkpoint/, checkpoints/, metrics.jsonl).")
    var out: String

    @Option(help: "Maximum number of steps (batches).")
    var steps: Int = 600

    @Option(help: "Objective preset (\(ObjectiveConfig.presetNames.joined(separator: ", ")); `tributary objectives`, docs/algorithms.md).")
    var objective: String = "grpo"

    @Option(help: "Override objective hyper-parameters, e.g. delta=0.05,eta_lambda=0.1 (docs/algorithms.md).")
    var objectiveSet: String?

    @Option(help: "Completions sampled per prompt (G).")
    var groupSize: Int = 8

    @Option(help: "Prompts per step (P).")
    var promptsPerStep: Int = 16

    @Option(help: "Epochs over each batch (K).")
    var epochs: Int = 2

    @Option(help: "Minibatches per epoch (M).")
    var minibatches: Int = 2

    @Option(help: "AdamW learning rate (default per preset: tiny 3e-4, small 3e-5, base 1e-5).")
    var lr: Float?

    @Option(help: "Stop at this held-out greedy accuracy (> 1 disables).")
    var target: Double = 0.95

    @Option(help: "Evaluate every N steps.")
    var evalEvery: Int = 10

    @Option(help: "Held-out prompts per evaluation.")
    var evalSize: Int = 1000

    @Option(help: "Write every training batch here (batch-NNNNNN.safetensors).")
    var dumpBatches: String?

    @Option(help: "Keep checkpoints/step-N before every N-th batch (1 = before every batch, for replay; 0 = only the final checkpoint).")
    var checkpointEvery: Int = 50

    @Option(help: "Random seed for prompts and sampling.")
    var seed: UInt64 = 0

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @Flag(help: "Step AdamW even on minibatches whose advantages are all zero.")
    var noSkipZeroAdvantage = false

    @Option(help: "Stop when this many batches in a row carry no reward signal (0 = never).")
    var noSignalBatches: Int = HealthSettings().noSignalBatches

    @Option(help: "Stop when held-out accuracy falls this far below its best (0.15 = 15 points; 0 = never).")
    var collapseDrop: Double = HealthSettings().collapseDrop

    @Flag(inversion: .prefixedNo, help: "Stop at a collapse (else only warn).")
    var stopOnCollapse = HealthSettings().stopOnCollapse

    func run() throws {
        Blas.setThreads(threads)
        let initURL = URL(fileURLWithPath: initFrom)
        let (ck, initState, _, t) = try RunDirectory.load(initURL, taskSpec: task)
        let preset = initState?.preset ?? "tiny"
        var opts = TrainOptions.defaults(preset: preset)
        opts.steps = steps; opts.groupSize = groupSize; opts.promptsPerStep = promptsPerStep
        opts.target = target; opts.evalEvery = evalEvery; opts.evalSize = evalSize; opts.seed = seed
        opts.checkpointEvery = checkpointEvery
        opts.update.epochs = epochs; opts.update.minibatches = minibatches
        opts.update.skipZeroAdvantage = !noSkipZeroAdvantage
        opts.health = HealthSettings(noSignalBatches: noSignalBatches, collapseDrop: collapseDrop, stopOnCollapse: stopOnCollapse)
        try opts.health.validate()
        let parsed = try ObjectiveConfig.parseReportingDeprecations(name: objective, overrides: ObjectiveConfig.parseOverrides(objectiveSet ?? ""))
        for d in parsed.deprecations { FileHandle.standardError.write(Data("train: warning: \(d)\n".utf8)) }
        opts.update.objective = parsed.config
        if let lr { opts.update.optimizer.learningRate = lr }
        let trainer = try PolicyTrainer(model: ck.model, settings: opts.update)
        let state = TrainerState(phase: "train", task: t.spec, preset: preset, seed: seed, update: opts.update)
        let loop = SyncTraining(task: t, trainer: trainer, options: opts, state: state)
        let runDir = URL(fileURLWithPath: out)
        loop.runDirectory = runDir
        loop.dumpBatches = dumpBatches.map { URL(fileURLWithPath: $0) }
        let metrics = try JSONLines(url: RunDirectory.metrics(runDir))
        let start = try loop.evaluate()
        print(String(format: "train: %@ on %@ (preset %@), lr %g, start held-out greedy %.1f%%", objective,
                     t.spec.canonical, preset, Double(opts.update.optimizer.learningRate), 100 * start))
        var bar = ProgressBar(total: steps, label: "train")
        var lastEval = start
        let t0 = Date()
        let reports = try loop.run { r in
            try metrics.write(r)
            if let e = r.evalGreedyAccuracy { lastEval = e }
            var fields = [("reward", String(format: "%.2f", r.reward)), ("acc", percent(r.accuracy)),
                          ("held-out", percent(lastEval))]
            if r.update.optimizerSteps > 0 {
                fields.append(("ratio max", String(format: "%.2f", r.update.ratioMax)))
                fields.append(("KL", String(format: "%.4f", r.update.klBehaviour)))
                fields.append(("H", String(format: "%.2f", r.update.entropy)))
                if let l = r.update.metrics?.lambda { fields.append(("λ", String(format: "%.3g", l))) }
            }
            bar.update(r.step, fields, force: r.evalGreedyAccuracy != nil && !bar.isTerminal)
            if let p = r.problem {
                FileHandle.standardError.write(Data("\ntrain: warning: \(p.message)\(p.stops ? " Training stops." : "")\n".utf8))
            }
        }
        bar.finish()
        try loop.save(to: RunDirectory.checkpoint(runDir))
        let final = loop.state.evalGreedyAccuracy ?? lastEval
        let rollouts = reports.last?.rollouts ?? 0   // sampled, dynamic sampling's refills included
        if let p = loop.health.stopProblem {
            // Learning cannot work (LearningHealth.swift): say why, and exit 4 instead of spinning.
            print(String(format: "train: stopped after %d steps, %.1f s: %@; held-out greedy %.1f%% → %.1f%%",
                         reports.count, Date().timeIntervalSince(t0), p.message, 100 * start, 100 * final))
            throw ExitCode(4)
        }
        print(String(format: "train: %d steps, %d rollouts, %.1f s: held-out greedy %.1f%% → %.1f%% (%@)",
                     reports.count, rollouts, Date().timeIntervalSince(t0), 100 * start, 100 * final,
                     final >= target ? "target reached" : "target not reached"))
    }
}
