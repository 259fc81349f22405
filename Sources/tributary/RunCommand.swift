// `tributary run`: the embedded default. Warm-starts a policy (unless --init is given),
// then starts a learner and N rollout workers on loopback talking real HTTP/2, shows one
// progress bar, stops at the target and writes a report directory: the final checkpoint,
// metrics as JSON lines and an HTML page with SVG charts of the run.

import ArgumentParser
import Foundation
import Lab
import Logging
import Pretrained
import Training
import Learner
import Objectives
import Policy
import ServiceLifecycle
import Tasks
import Tensor
import Transport
import Worker

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run",
        abstract: "Train the default task with a learner and workers on loopback (real HTTP/2).")

    @Option(help: "Learner TOML configuration (docs/configuration.md); the flags below override it.") var config: String?
    @Option(help: "Task spec (default: reverse).") var task: String?
    @Option(help: "Model preset (default: tiny).") var preset: String?
    @Option(help: "Rollout workers.") var workers: Int = 2
    @Option(help: "Report directory.") var out: String = "runs/run"
    @Option(name: .customLong("init"), help: "Start from this checkpoint or pretrained model instead of a fresh warm start.") var initFrom: String?
    @Option(help: "Target held-out accuracy (default: 0.95; greedy unless training.target_metric = \"sampled\").") var target: Double?
    @Option(help: "Give up after this many updates (default: the configuration's steps, else 1500).") var steps: Int?
    @Option(help: "Objective preset (default: grpo; \(ObjectiveConfig.presetNames.joined(separator: ", ")); `tributary objectives`).") var objective: String?
    @Option(help: "Seed (default: 0).") var seed: UInt64?
    @Option(help: "When the supervised warm start stops (without --init): greedy:A or sampled:A, held-out accuracy A of greedy answers or of answers sampled at the rollout temperature (docs/training.md, \"Warm start\").")
    var warmStart: String = "greedy:0.3"
    @Flag(help: "Synchronous mode (for comparison).") var sync = false
    @Option(help: "Stop when this many batches in a row carry no reward signal (0 = never).")
    var noSignalBatches: Int?
    @Option(help: "Stop when held-out accuracy falls this far below its best (0.15 = 15 points; 0 = never).")
    var collapseDrop: Double?
    @Flag(inversion: .prefixedNo, help: "Stop at a collapse (else only warn; default: stop).") var stopOnCollapse: Bool?

    func run() async throws {
        let outDir = URL(fileURLWithPath: out)
        try? FileManager.default.removeItem(at: outDir.appendingPathComponent("state"))
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        // The configuration file first, then the flags given on the command line.
        var cfg = LearnerConfig()
        if let config {
            for d in try cfg.load(file: URL(fileURLWithPath: config)) { FileHandle.standardError.write(Data("run: warning: \(d)\n".utf8)) }
        } else {
            cfg.evalEvery = 10; cfg.checkpointEvery = 25
        }
        if let task { cfg.task = task }
        if let preset { cfg.preset = preset }
        if let seed { cfg.seed = seed }
        if let target { cfg.target = target }
        if let objective { cfg.objective = objective }
        if sync { cfg.sync = true }
        for d in try ObjectiveConfig.parseReportingDeprecations(name: cfg.objective, overrides: ObjectiveConfig.parseOverrides(cfg.objectiveSet)).deprecations {
            FileHandle.standardError.write(Data("run: warning: \(d)\n".utf8))
        }
        cfg.steps = steps ?? (cfg.steps > 0 ? cfg.steps : 1500)
        let (preset, seed, steps) = (cfg.preset, cfg.seed, cfg.steps)
        var initPath = initFrom ?? cfg.initCheckpoint
        if initPath == nil {
            let pre = outDir.appendingPathComponent("warm-start")
            var spec = ExperimentSpec(task: try cfg.taskSpec(), preset: preset, objectives: [], staleness: [], seeds: [seed], budgetRollouts: 0)
            let target = try WarmStartTarget(parsing: warmStart)
            spec.warmStartAccuracy = target.value; spec.warmStartMetric = target.metric; spec.warmStartTemperature = cfg.temperature
            FileHandle.standardError.write(Data("run: warm start (supervised, to \(percent(target.value)) held-out \(target.metric.rawValue) accuracy)…\n".utf8))
            Blas.setThreads(1)
            initPath = try Experiment.warmStart(spec, task: try cfg.taskSpec().makeTask(), seed: seed, dir: pre).path
        }
        cfg.initCheckpoint = initPath
        cfg.stateDir = outDir.appendingPathComponent("state").path
        cfg.rpcAddress = "127.0.0.1:0"; cfg.tlsAddress = ""; cfg.statusAddress = ""
        if let noSignalBatches { cfg.noSignalBatches = noSignalBatches }
        if let collapseDrop { cfg.collapseDrop = collapseDrop }
        if let stopOnCollapse { cfg.stopOnCollapse = stopOnCollapse }
        try cfg.validate()
        // Loopback only, but authenticated all the same: a fresh random worker token per run.
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        cfg.workerTokens = [token]
        let metrics = try JSONLines(url: outDir.appendingPathComponent("metrics.jsonl"))
        let history = HistoryBox(groupsPerStep: cfg.groupsPerStep)
        let daemon = try await LearnerDaemon.start(cfg, log: { _ in })
        let port = daemon.server.cleartextPort!
        let t0 = Date()
        nonisolated(unsafe) var bar = ProgressBar(total: steps, label: "run")
        daemon.node.training.onStep = { s in
            try? metrics.write(s)
            history.add(s, seconds: Date().timeIntervalSince(t0))
            bar.update(s.step, [("held-out", percent(s.evalGreedyAccuracy) + (s.evalSampledAccuracy.map { " (sampled \(percent($0)))" } ?? "")), ("reward", String(format: "%.2f", s.reward)),
                                ("version", "\(s.version)"), ("staleness", String(format: "%.1f", s.meanStaleness)),
                                ("groups/s", String(format: "%.1f", history.groupsPerSecond))])
        }
        daemon.node.training.onProblem = { p in
            FileHandle.standardError.write(Data("\nrun: warning: \(p.message)\(p.stops ? " Training stops." : "")\n".utf8))
        }
        let clients = (0..<workers).map { _ in TransportClient(configuration: .init(host: "127.0.0.1", port: port)) }
        // A pretrained model (docs/models.md): the workers speak its tokenizer.
        let modelTokenizer = try initPath.flatMap { try ModelTokenizer.loadIfPretrained(URL(fileURLWithPath: $0)) }
        let ws = clients.enumerated().map { i, c in
            var o = WorkerOptions(name: "run-\(i)")
            o.tokenizer = modelTokenizer
            return RolloutWorker(endpoint: RemoteEndpoint(client: c, token: token), options: o)
        }
        // Until the target, the step budget, a learning-health stop or SIGTERM/SIGINT; then the
        // workers stop (bounded: a loop still inside a call after 3 s is cancelled), then
        // training (refuse work, checkpoint), then the listener (GOAWAY).
        let debug = ProcessInfo.processInfo.environment["TRIBUTARY_DEBUG"] != nil
        @Sendable func phase(_ s: String) { if debug { FileHandle.standardError.write(Data("run: \(s) at \(Date().timeIntervalSince(t0))\n".utf8)) } }
        var quiet = Logger(label: "tributary.run")
        quiet.logLevel = .warning
        try await ServiceGroup.daemon([
            ListenerService(daemon: daemon, grace: 1),
            TrainingService(daemon: daemon, exitWhenDone: true, log: { _ in }),
            WorkerPoolService(workers: ws, bound: 3, beforeWaiting: { await daemon.node.ingest.shutdown(); phase("ingest shut down") }),
        ], logger: quiet).run()
        bar.finish()
        phase("learner stopped")
        for c in clients { await c.close() }
        phase("clients closed")
        let final = daemon.node.training.status
        let ckpt = final.lastCheckpoint.map { URL(fileURLWithPath: $0) }
        if let ckpt {
            let dest = outDir.appendingPathComponent("checkpoint")
            try? FileManager.default.removeItem(at: dest)
            try FileManager.default.copyItem(at: ckpt, to: dest)
        }
        let report = try RunReport.write(history: history.rows, final: final, config: cfg, workers: workers, to: outDir)
        if let p = final.stoppedBy {
            // Learning cannot work (LearningHealth.swift): say why, and exit 4 instead of spinning.
            print(String(format: "run: stopped at step %d, %.0f s: %@; held-out greedy %@; report %@", final.step,
                         Date().timeIntervalSince(t0), p.message, percent(final.evalGreedyAccuracy), report.path))
            Foundation.exit(4)
        }
        let reached = ((cfg.targetMetric == "sampled" ? final.evalSampledAccuracy : final.evalGreedyAccuracy) ?? 0) >= cfg.target
        print(String(format: "run: %@ after %d steps, %.0f s: held-out greedy %@%@; report %@",
                     reached ? "target reached" : "stopped", final.step, Date().timeIntervalSince(t0),
                     percent(final.evalGreedyAccuracy), final.evalSampledAccuracy.map { ", sampled " + percent($0) } ?? "",
                     report.path))
        // Exit now rather than waiting for idle event-loop threads of the closed connections.
        Foundation.exit(reached ? 0 : 3)
    }
}

/// Step history of a run (shared with the training thread's callback).
final class HistoryBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _rows: [(seconds: Double, status: TrainingStatus)] = []
    let groupsPerStep: Int
    init(groupsPerStep: Int) { self.groupsPerStep = groupsPerStep }
    var rows: [(seconds: Double, status: TrainingStatus)] { lock.withLock { _rows } }
    func add(_ s: TrainingStatus, seconds: Double) { lock.withLock { _rows.append((seconds, s)) } }
    /// Groups trained per second over the whole run so far.
    var groupsPerSecond: Double {
        lock.withLock {
            guard let last = _rows.last, last.seconds > 0 else { return 0 }
            return Double(last.status.step * groupsPerStep) / last.seconds
        }
    }
}
