// `tributary pretrain`: supervised warm start on task demonstrations until the held-out
// greedy accuracy reaches a target — a partially competent base policy, the way LLM RL
// starts from an SFT model.

import ArgumentParser
import Foundation
import Learner
import Policy
import Tasks
import Tensor
import Training

struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Supervised warm start (cross-entropy on demonstrations) until a held-out greedy accuracy.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Run directory to write (checkpoint/ and metrics.jsonl).")
    var out: String

    @Option(help: "Stop at this held-out accuracy (the metric --target-metric names).")
    var targetAccuracy: Double = 0.3

    @Option(help: "greedy: held-out greedy accuracy; sampled: accuracy of one completion per held-out prompt sampled at --temperature (what decides whether RL groups carry signal; docs/training.md).")
    var targetMetric: String = "greedy"

    @Option(help: "Sampling temperature of the sampled metric (the rollouts').")
    var temperature: Float = 1

    @Option(help: "Demonstrations per step.")
    var batch: Int = 64

    @Option(help: "AdamW learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Evaluate every N steps.")
    var evalEvery: Int = 1

    @Option(help: "Give up after this many steps.")
    var maxSteps: Int = 20_000

    func run() throws {
        Blas.setThreads(model.threads)
        let task = try model.makeTask()
        let cfg = try ModelConfig.preset(model.preset, vocabSize: task.tokenizer.vocabSize)
        guard task.maxSequenceTokens <= cfg.nPositions else {
            throw RunError("task '\(task.spec)' needs \(task.maxSequenceTokens) positions; preset \(model.preset) has \(cfg.nPositions)")
        }
        let gpt = try GPT(config: cfg, seed: model.seed)
        let opt = AdamW(layout: gpt.layout, config: AdamWConfig(learningRate: lr, weightDecay: 0.01))
        let evalSet = task.evaluationSet(seed: 0xE7A1, size: 1000)
        let runDir = URL(fileURLWithPath: out)
        let metrics = try JSONLines(url: RunDirectory.metrics(runDir))
        var bar = ProgressBar(total: maxSteps, label: "pretrain")
        let t0 = Date()
        guard let metric = WarmStartTarget.Metric(rawValue: targetMetric) else {
            throw ValidationError("--target-metric must be greedy or sampled, not '\(targetMetric)'")
        }
        let target = WarmStartTarget(metric, targetAccuracy, temperature: temperature)
        func figures(_ o: Pretraining.Outcome) -> [(String, String)] {
            [("loss", String(format: "%.3f", o.loss)), ("held-out greedy", percent(o.evalGreedyAccuracy))]
                + (o.evalSampledAccuracy.map { [("sampled", percent($0))] } ?? [])
        }
        let o = try Pretraining.run(model: gpt, optimizer: opt, task: task, seed: model.seed, batch: batch,
                                    until: target, maxSteps: maxSteps, evalEvery: evalEvery, evalSet: evalSet) { o in
            if o.steps % evalEvery == 0 {
                var row = ["step": Double(o.steps), "loss": o.loss, "eval_greedy_accuracy": o.evalGreedyAccuracy,
                           "seconds": Date().timeIntervalSince(t0)]
                row["eval_sampled_accuracy"] = o.evalSampledAccuracy
                try? metrics.write(row)
            }
            bar.update(o.steps, figures(o))
        }
        let (step, cursor, acc) = (o.steps, o.promptCursor, o.evalGreedyAccuracy)
        bar.update(step, figures(o), force: true)
        bar.finish()
        let state = TrainerState(phase: "pretrain", task: task.spec, preset: model.preset, seed: model.seed, step: step,
                                 version: 0, promptCursor: cursor, evalGreedyAccuracy: acc)
        try Checkpoint.save(to: RunDirectory.checkpoint(runDir), model: gpt, optimizer: nil,
                            vocab: task.tokenizer.vocabulary, trainerState: try state.encoded(),
                            extraFiles: try task.tokenizer.checkpointFiles())
        let reached = o.value(of: metric) >= targetAccuracy
        let sampled = o.evalSampledAccuracy.map { String(format: ", sampled (T = %g) %.1f%%", temperature, 100 * $0) } ?? ""
        print(String(format: "pretrain: %@ after %d steps (%d demonstrations, %.1f s): held-out greedy accuracy %.1f%%%@ → %@",
                     reached ? "reached target" : "stopped", step, step * batch, Date().timeIntervalSince(t0), 100 * acc,
                     sampled, RunDirectory.checkpoint(runDir).path))
        if !reached { throw ExitCode(3) }
    }
}
