// `tributary bench e2e` (part of `make bench`): the service end to end on this machine, each
// figure from the same run (issue 5 §6):
// - async vs --sync: `tributary run` twice from the same warm start (2 workers, default task),
//   wall-clock and rollouts to the target, and their ratio; then the same with the learner and
//   the workers on dedicated cores (BenchE2E+Placement.swift);
// - ingest: a learner process under 64 simulated workers (`loadgen`) for 10 s — accepted
//   groups/s and MB/s, with the default buffer and with one that never fills — while /status
//   is sampled for the publish time per version as a fraction of the step time.

import Foundation
import Learner
import Training
import Worker

extension Bench {
    func e2e(_ out: JSONLines) async throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-bench-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Async vs sync from one warm start (the first run makes it; both then use it).
        let first = try runChild(me, ["run", "--out", dir.appendingPathComponent("async").path])
        let warm = dir.appendingPathComponent("async/warm-start").path
        let asyncRun = try runChild(me, ["run", "--init", warm, "--out", dir.appendingPathComponent("async2").path])
        let syncRun = try runChild(me, ["run", "--init", warm, "--sync", "--out", dir.appendingPathComponent("sync").path])
        _ = first
        func rollouts(_ name: String) -> Double {
            let text = (try? String(contentsOf: dir.appendingPathComponent("\(name)/metrics.jsonl"), encoding: .utf8)) ?? ""
            guard let last = text.split(separator: "\n").last,
                  let obj = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else { return 0 }
            return Double(obj["groupsTrained"] as? Int ?? 0) * 8   // group size 8 (the default)
        }
        try out.write([
            "bench": "e2e_async_vs_sync", "task": "reverse (default), 2 workers, tiny",
            "async_seconds": .d(asyncRun.seconds), "async_reached": .s(asyncRun.status == 0 ? "yes" : "no"),
            "async_rollouts": .d(rollouts("async2")),
            "sync_seconds": .d(syncRun.seconds), "sync_reached": .s(syncRun.status == 0 ? "yes" : "no"),
            "sync_rollouts": .d(rollouts("sync")),
            "async_speedup": .d(syncRun.seconds / max(asyncRun.seconds, 1e-9)),
        ] as [String: AnyJSON])
        try await dedicatedCores(me, warm: warm, dir: dir, out)

        // Ingest under simulated workers, publish fraction sampled from /status: once with the
        // default buffer (acceptance paced by training: the learner takes two steps' worth, then
        // submissions wait), once with a buffer that never fills in 10 s (what admission, the
        // write-ahead log and the acks sustain while training runs alongside).
        for (label, capacity) in [("default_buffer", 0), ("unbounded_buffer", 1_000_000)] {
            try await ingest(me, warm: warm, dir: dir.appendingPathComponent("ingest-\(label)"), bufferCapacity: capacity,
                             label: label, out)
        }
    }

    private func ingest(_ me: String, warm: String, dir: URL, bufferCapacity: Int, label: String, _ out: JSONLines) async throws {
        let port = Int.random(in: 20_000...60_000)
        let learner = Process()
        learner.executableURL = URL(fileURLWithPath: me)
        learner.arguments = ["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", warm,
                             "--listen", "127.0.0.1:\(port)", "--worker-token", "bench", "--steps", "100000"]
        var env = ProcessInfo.processInfo.environment
        env["TRIBUTARY_TRAINING_EVAL_EVERY"] = "0"
        if bufferCapacity > 0 { env["TRIBUTARY_TRAINING_BUFFER_CAPACITY"] = String(bufferCapacity) }
        learner.environment = env
        learner.standardError = FileHandle.nullDevice
        try learner.run()
        defer { learner.terminate(); learner.waitUntilExit() }
        usleep(1_500_000)
        let url = try LearnerURL("http://127.0.0.1:\(port)")
        let sampler = PublishSampler(url: url)
        let sampling = Task.detached { await sampler.run() }
        // loadgen on a thread of its own: the sampler's task needs the concurrency pool meanwhile.
        let load = try await onOwnThread {
            try runChild(me, ["loadgen", "--learner", "http://127.0.0.1:\(port)", "--token", "bench", "--workers", "64", "--seconds", "10"])
        }
        sampler.stop()
        await sampling.value
        guard let obj = try? JSONSerialization.jsonObject(with: Data(load.stdout.utf8)) as? [String: Any],
              let l = obj["load"] as? [String: Any] else { throw RunError("loadgen failed: \(load.stdout.prefix(300))") }
        let fraction = sampler.meanFraction
        try out.write([
            "bench": "e2e_ingest", "buffer": .s(label), "simulated_workers": .d(64), "seconds": .d(l["seconds"] as? Double ?? 0),
            "groups_per_s": .d(l["groupsPerSecond"] as? Double ?? 0),
            "mb_per_s": .d((l["acceptedBytesPerSecond"] as? Double ?? 0) / 1e6),
            "rejected": .s("\(l["rejected"] ?? [:])"),
            "publish_fraction_of_step": .d(fraction.mean), "publish_samples": .d(Double(fraction.count)),
        ] as [String: AnyJSON])
    }
}

/// Runs `me args…` to completion: exit status, stdout, wall-clock seconds.
private func runChild(_ me: String, _ args: [String]) throws -> (status: Int32, stdout: String, seconds: Double) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: me)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["CI"] = "true"
    p.environment = env
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    let t0 = Date()
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self), Date().timeIntervalSince(t0))
}

/// Runs blocking `work` on a thread of its own and awaits its result, leaving the concurrency
/// pool free for the tasks that run meanwhile.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try work() }) }.start()
    }
}

/// Samples `publishSeconds / stepSeconds` from /status every 0.3 s (distinct steps only).
final class PublishSampler: @unchecked Sendable {
    let url: LearnerURL
    private let lock = NSLock()
    private var stopped = false
    private var bySteps: [Int: Double] = [:]
    init(url: LearnerURL) { self.url = url }
    func stop() { lock.withLock { stopped = true } }
    var meanFraction: (mean: Double, count: Int) {
        lock.withLock { (bySteps.isEmpty ? 0 : bySteps.values.reduce(0, +) / Double(bySteps.count), bySteps.count) }
    }
    func run() async {
        while !lock.withLock({ stopped }) {
            if let (code, body) = try? await LearnerGET.fetch(url, path: "/status", token: nil, caFile: nil), code == 200,
               let s = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
               let step = s["step"] as? Int, let st = s["stepSeconds"] as? Double, let pub = s["publishSeconds"] as? Double, st > 0 {
                lock.withLock { bySteps[step] = pub / st }
            }
            try? await Task.sleep(nanoseconds: 300_000_000)
        }
    }
}
