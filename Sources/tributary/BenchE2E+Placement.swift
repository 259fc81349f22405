// `tributary bench e2e`, async vs sync with dedicated cores: the learner process pinned to
// CPU 0 and two worker processes pinned to CPU 1 (`taskset`), as when the learner and the
// workers run on separate machines. Sharing two cores, sync mode leaves no core idle (the
// workers' sampling and the learner's update each use both), so overlapping them gains little;
// with dedicated cores each side idles while the other works in sync mode, which is what
// asynchronous training removes. Same warm start, same task, same target in both modes.

import Foundation
import Worker

/// One pinned training run: wall-clock seconds, rollouts and steps to the end, whether the
/// target was reached, mean staleness, and its steps split by kind (BenchE2E+Steps.swift).
typealias PinnedRun = (seconds: Double, rollouts: Double, steps: Double, reached: Bool, staleness: Double, mix: StepMix)

extension Bench {
    /// Trains to the default target with the learner on `learnerCPU` and two workers on
    /// `workerCPU`; returns wall-clock seconds, rollouts, reached, mean staleness.
    func pinnedRun(_ me: String, warm: String, dir: URL, sync: Bool, seed: Int, learnerCPU: Int, workerCPU: Int) async throws
        -> PinnedRun {
        let port = Int.random(in: 20_000...60_000)
        var env = ProcessInfo.processInfo.environment
        env["TRIBUTARY_TRAINING_EXIT_WHEN_DONE"] = "false"
        env["TRIBUTARY_TRAINING_STEPS"] = "1500"
        env["TRIBUTARY_TASK_SEED"] = String(seed)   // the prompt stream
        func pinned(_ cpu: Int, _ args: [String]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            p.arguments = ["-c", String(cpu), me] + args
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let t0 = Date()
        let learner = try pinned(learnerCPU, ["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", warm,
                                              "--listen", "127.0.0.1:\(port)", "--worker-token", "bench"] + (sync ? ["--sync"] : []))
        defer { learner.terminate(); learner.waitUntilExit() }
        let workers = try ["a", "b"].enumerated().map { i, name in
            try pinned(workerCPU, ["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "bench", "--name", name,
                                   "--seed", String(seed * 2 + i + 1)])
        }
        defer { for w in workers { w.terminate(); w.waitUntilExit() } }
        let url = try LearnerURL("http://127.0.0.1:\(port)")
        var last: [String: Any] = [:]
        while learner.isRunning {
            if let (code, body) = try? await LearnerGET.fetch(url, path: "/status", token: nil, caFile: nil), code == 200,
               let s = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                last = s
                if s["finished"] as? Bool == true { break }
            }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        let seconds = Date().timeIntervalSince(t0)
        let reached = (last["evalGreedyAccuracy"] as? Double ?? 0) >= 0.95
        return (seconds, Double(last["groupsTrained"] as? Int ?? 0) * 8, Double(last["step"] as? Int ?? 0), reached,
                last["meanStaleness"] as? Double ?? 0, StepMix(history: await fetchHistory(url)))
    }

    /// Writes the `e2e_async_vs_sync_dedicated_cores` line.
    func dedicatedCores(_ me: String, warm: String, dir: URL, _ out: JSONLines) async throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else {
            return try out.write(["bench": "e2e_async_vs_sync_dedicated_cores", "skipped": "needs 2 CPUs and taskset"] as [String: AnyJSON])
        }
        // Steps to the target vary ±30 % between runs (sampling), so each mode trains with three
        // prompt-stream seeds and the totals are compared.
        var a: [PinnedRun] = []
        var s: [PinnedRun] = []
        for seed in 0..<3 {
            a.append(try await pinnedRun(me, warm: warm, dir: dir.appendingPathComponent("pinned-async-\(seed)"), sync: false, seed: seed,
                                   learnerCPU: 0, workerCPU: 1))
            s.append(try await pinnedRun(me, warm: warm, dir: dir.appendingPathComponent("pinned-sync-\(seed)"), sync: true, seed: seed,
                                   learnerCPU: 0, workerCPU: 1))
        }
        func total(_ r: [PinnedRun], _ k: KeyPath<PinnedRun, Double>) -> Double {
            r.reduce(0) { $0 + $1[keyPath: k] }
        }
        let (aSec, sSec) = (total(a, \.seconds), total(s, \.seconds))
        let (aSteps, sSteps) = (total(a, \.steps), total(s, \.steps))
        let (am, sm) = (StepMix.pooled(a.map(\.mix)), StepMix.pooled(s.map(\.mix)))
        try out.write([
            "bench": "e2e_async_vs_sync_dedicated_cores",
            "task": "reverse (default), learner on CPU 0, 2 workers on CPU 1, tiny, 3 seeds each",
            "async_seconds": .d(aSec), "async_rollouts": .d(total(a, \.rollouts)), "async_steps": .d(aSteps),
            "async_reached": .d(Double(a.filter(\.reached).count)), "async_mean_staleness": .d(total(a, \.staleness) / 3),
            "sync_seconds": .d(sSec), "sync_rollouts": .d(total(s, \.rollouts)), "sync_steps": .d(sSteps),
            "sync_reached": .d(Double(s.filter(\.reached).count)),
            "async_speedup": .d(sSec / max(aSec, 1e-9)),
            "async_speedup_per_step": .d((sSec / max(sSteps, 1)) / max(aSec / max(aSteps, 1), 1e-9)),
            // Where the time goes: steps that changed the weights and steps without signal,
            // their mean gaps, the learner's update time, and the ceiling of a perfect pipeline.
            "async_update_steps": .d(Double(am.updates)), "async_no_signal_steps": .d(Double(am.withoutSignal)),
            "async_update_step_ms": .d(am.updateGap * 1e3), "async_no_signal_step_ms": .d(am.withoutSignalGap * 1e3),
            "async_update_ms": .d(am.updateSeconds * 1e3),
            "sync_update_steps": .d(Double(sm.updates)), "sync_no_signal_steps": .d(Double(sm.withoutSignal)),
            "sync_update_step_ms": .d(sm.updateGap * 1e3), "sync_no_signal_step_ms": .d(sm.withoutSignalGap * 1e3),
            "sync_update_ms": .d(sm.updateSeconds * 1e3),
            "async_speedup_ceiling": .d(StepMix.ceiling(sync: sm, generation: am.withoutSignalGap)),
        ] as [String: AnyJSON])
    }
}
