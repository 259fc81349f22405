// `tributary run`: the embedded default. Warm-starts a policy (unless --init is given),
// then starts a learner and N rollout workers on loopback talking real HTTP/2, shows one
// progress bar, stops at the target and writes a report directory: the final checkpoint,
// metrics as JSON lines and an HTML page with SVG charts of the run.

import ArgumentParser
import Foundation
import Pretrained
import Learner
import Objectives
import Policy
import Tasks
import Tensor
import Transport
import Worker

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run",
        abstract: "Train the default task with a learner and workers on loopback (real HTTP/2).")

    @Option(help: "Task spec.") var task: String = "reverse"
    @Option(help: "Model preset.") var preset: String = "tiny"
    @Option(help: "Rollout workers.") var workers: Int = 2
    @Option(help: "Report directory.") var out: String = "runs/run"
    @Option(name: .customLong("init"), help: "Start from this checkpoint instead of a fresh warm start.") var initFrom: String?
    @Option(help: "Target held-out greedy accuracy.") var target: Double = 0.95
    @Option(help: "Give up after this many updates.") var steps: Int = 1500
    @Option(help: "Objective preset (\(ObjectiveConfig.presetNames.joined(separator: ", ")); `tributary objectives`).") var objective: String = "grpo"
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Flag(help: "Synchronous mode (for comparison).") var sync = false

    func run() async throws {
        let outDir = URL(fileURLWithPath: out)
        try? FileManager.default.removeItem(at: outDir.appendingPathComponent("state"))
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        var initPath = initFrom
        if initPath == nil {
            let pre = outDir.appendingPathComponent("warm-start")
            var spec = ExperimentSpec(task: try TaskSpec(parsing: task), preset: preset, objectives: [], staleness: [], seeds: [seed], budgetRollouts: 0)
            spec.warmStartAccuracy = 0.3
            FileHandle.standardError.write(Data("run: warm start (supervised, to 30 % held-out accuracy)…\n".utf8))
            Blas.setThreads(1)
            initPath = try Experiment.warmStart(spec, task: try TaskSpec(parsing: task).makeTask(), seed: seed, dir: pre).path
        }
        var cfg = LearnerConfig()
        cfg.task = task; cfg.preset = preset; cfg.seed = seed; cfg.initCheckpoint = initPath
        cfg.stateDir = outDir.appendingPathComponent("state").path
        cfg.rpcAddress = "127.0.0.1:0"; cfg.steps = steps; cfg.target = target; cfg.objective = objective
        cfg.sync = sync; cfg.evalEvery = 10; cfg.checkpointEvery = 25
        // Loopback only, but authenticated all the same: a fresh random worker token per run.
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        cfg.workerTokens = [token]
        let metrics = try JSONLines(url: outDir.appendingPathComponent("metrics.jsonl"))
        let history = HistoryBox()
        let daemon = try await LearnerDaemon.start(cfg, log: { _ in })
        let port = daemon.server.cleartextPort!
        let t0 = Date()
        nonisolated(unsafe) var bar = ProgressBar(total: steps, label: "run")
        daemon.node.training.onStep = { s in
            try? metrics.write(s)
            history.add(s, seconds: Date().timeIntervalSince(t0))
            bar.update(s.step, [("held-out", percent(s.evalGreedyAccuracy)), ("reward", String(format: "%.2f", s.reward)),
                                ("version", "\(s.version)"), ("staleness", String(format: "%.1f", s.meanStaleness)),
                                ("groups/s", String(format: "%.1f", history.groupsPerSecond))])
        }
        let clients = (0..<workers).map { _ in TransportClient(configuration: .init(host: "127.0.0.1", port: port)) }
        // A pretrained model (docs/models.md): the workers speak its tokenizer.
        let modelTokenizer = try initPath.flatMap { try ModelTokenizer.loadIfPretrained(URL(fileURLWithPath: $0)) }
        let ws = clients.enumerated().map { i, c in
            var o = WorkerOptions(name: "run-\(i)")
            o.tokenizer = modelTokenizer
            return RolloutWorker(endpoint: RemoteEndpoint(client: c, token: token), options: o)
        }
        let loops = ws.map { w in Task { await w.run() } }
        await daemon.runUntilDone(or: ShutdownSignal())
        bar.finish()
        // Stop the workers (bounded: a loop still inside a call after 3 s is cancelled), then
        // the learner (refuse work, checkpoint, GOAWAY).
        func phase(_ s: String) { if ProcessInfo.processInfo.environment["TRIBUTARY_DEBUG"] != nil { FileHandle.standardError.write(Data("run: \(s) at \(Date().timeIntervalSince(t0))\n".utf8)) } }
        phase("stopping workers")
        for w in ws { await w.stop() }
        await daemon.node.ingest.shutdown()
        phase("ingest shut down")
        let deadline = Task { try? await Task.sleep(nanoseconds: 3_000_000_000); for l in loops { l.cancel() } }
        for l in loops { _ = await l.value }
        deadline.cancel()
        phase("workers stopped")
        await daemon.stop(grace: 1)
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
        let reached = (final.evalGreedyAccuracy ?? 0) >= target
        print(String(format: "run: %@ after %d steps, %.0f s: held-out greedy %@; report %@",
                     reached ? "target reached" : "stopped", final.step, Date().timeIntervalSince(t0),
                     percent(final.evalGreedyAccuracy), report.path))
        // Exit now rather than waiting for idle event-loop threads of the closed connections.
        Foundation.exit(reached ? 0 : 3)
    }
}

/// Step history of a run (shared with the training thread's callback).
final class HistoryBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _rows: [(seconds: Double, status: TrainingStatus)] = []
    var rows: [(seconds: Double, status: TrainingStatus)] { lock.withLock { _rows } }
    func add(_ s: TrainingStatus, seconds: Double) { lock.withLock { _rows.append((seconds, s)) } }
    /// Groups trained per second over the whole run so far.
    var groupsPerSecond: Double {
        lock.withLock {
            guard let last = _rows.last, last.seconds > 0 else { return 0 }
            return Double(last.status.step) * 16 / last.seconds
        }
    }
}
