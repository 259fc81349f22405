// `tributary eval`: greedy and sampled accuracy of a checkpoint on held-out prompts, and the
// calibration (AUC, ECE) of the sampled completions' probability against correctness.

import ArgumentParser
import Foundation
import Learner
import Policy
import Tasks
import Tensor
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Held-out greedy and sampled accuracy of a checkpoint.")

    @Option(help: "Checkpoint or run directory.")
    var checkpoint: String

    @Option(help: "Task spec (default: the checkpoint's task).")
    var task: String?

    @Option(help: "Held-out prompts to evaluate.")
    var samples: Int = 1000

    @Option(help: "Seed for the sampled completions.")
    var seed: UInt64 = 777

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        Blas.setThreads(1)
        let url = URL(fileURLWithPath: checkpoint)
        let (peek, _, dir, t) = try RunDirectory.load(url, taskSpec: task)
        let prompts = t.evaluationSet(seed: 0xE7A1, size: samples)
        let greedy = try Evaluator.greedyAccuracy(model: peek.model, task: t, prompts: prompts)
        var rng = Xoshiro256(seed: seed)
        let sampled = try Evaluator.sampled(model: peek.model, task: t, prompts: prompts, rng: &rng)
        let result = EvalResult(prompts: prompts.count, greedyAccuracy: greedy, sampledAccuracy: sampled.accuracy,
                                sampledReward: sampled.reward, sampledAUC: sampled.calibration.auc,
                                sampledECE: sampled.calibration.ece)
        if json {
            try JSONLines(url: nil).write(result)
        } else {
            print("checkpoint \(dir.path) on \(t.spec.canonical), \(prompts.count) held-out prompts")
            print("  greedy accuracy        \(percent(greedy))")
            print("  sampled accuracy (τ=1) \(percent(sampled.accuracy))  mean reward \(String(format: "%.3f", sampled.reward))")
            let auc = sampled.calibration.auc.map { String(format: "%.3f", $0) } ?? "n/a (needs right and wrong answers)"
            print("  calibration of the sampled completions' probability: AUC \(auc), ECE \(String(format: "%.3f", sampled.calibration.ece))")
        }
    }
}
