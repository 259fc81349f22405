// `tributary experiment`: compare objectives under simulated staleness, several seeds,
// with a results table (CSV, JSON, Markdown) and SVG plots written to a directory.

import ArgumentParser
import Foundation
import Lab
import Learner
import Tasks
import Tensor
import Training

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare objectives under deterministic simulated staleness (docs/experiments.md).")

    @Option(help: "Task spec.") var task: String = "reverse"
    @Option(help: "Model preset.") var preset: String = "tiny"
    @Option(help: "Comma-separated objectives, each optionally name:key=value;… (use ';' between overrides).")
    var objectives: String = "grpo,decoupled-ppo,tis,r2vpo,alp,gbpo,mhpo"
    @Option(help: "Comma-separated staleness values (versions).") var staleness: String = "0,4,8"
    @Option(help: "Comma-separated seeds.") var seeds: String = "0,1,2"
    @Option(help: "Rollout budget per run.") var budgetRollouts: Int = 40_000
    @Option(help: "Target held-out greedy accuracy.") var target: Double = 0.95
    @Option(help: "Reuse the last K batches in every update.") var replay: Int = 0
    @Option(help: "Epochs per batch.") var epochs: Int = 2
    @Option(help: "Minibatches per epoch.") var minibatches: Int = 2
    @Option(help: "Learning rate (default: the preset's).") var lr: Float?
    @Option(help: "Held-out prompts per evaluation.") var evalSize: Int = 500
    @Option(help: "Evaluate every N steps.") var evalEvery: Int = 10
    @Option(help: "Output directory.") var out: String
    @Option(help: "OpenBLAS threads.") var threads: Int = 1

    func run() throws {
        Blas.setThreads(threads)
        let t = try TaskSpec(parsing: task).makeTask()
        var spec = ExperimentSpec(task: t.spec, preset: preset,
                                  objectives: objectives.split(separator: ",").map { $0.replacingOccurrences(of: ";", with: ",") },
                                  staleness: try staleness.split(separator: ",").map { guard let v = Int($0) else { throw RunError("bad staleness '\($0)'") }; return v },
                                  seeds: try seeds.split(separator: ",").map { guard let v = UInt64($0) else { throw RunError("bad seed '\($0)'") }; return v },
                                  budgetRollouts: budgetRollouts)
        spec.target = target; spec.replayBatches = replay; spec.epochs = epochs; spec.minibatches = minibatches
        spec.learningRate = lr; spec.evalSize = evalSize; spec.evalEvery = evalEvery
        for o in spec.objectives { _ = try Experiment.parseObjective(o) }    // fail fast on a typo
        let dir = URL(fileURLWithPath: out)
        let total = spec.seeds.count * spec.objectives.count * spec.staleness.count
        var bar = ProgressBar(total: total, label: "experiment", logEvery: 1)
        var runs: [ExperimentRun] = []
        for seed in spec.seeds {
            let warm = try Experiment.warmStart(spec, task: t, seed: seed, dir: dir.appendingPathComponent("warm-start-seed-\(seed)"))
            for s in spec.staleness {
                for o in spec.objectives {
                    let r = try Experiment.runOne(spec, task: t, objective: o, staleness: s, seed: seed, warm: warm)
                    runs.append(r)
                    bar.update(runs.count, [("last", "\(o) s=\(s) seed \(seed)"), ("final", percent(r.finalAccuracy)),
                                            ("to target", r.rolloutsToTarget.map(String.init) ?? "—")], force: true)
                    try ExperimentReport.write(runs, spec: spec, to: dir)     // partial results survive an interruption
                }
            }
        }
        bar.finish()
        print(ExperimentReport.summary(runs, spec: spec))
        print("results: \(dir.path)/results.csv, results.json, summary.md, *.svg")
    }
}
