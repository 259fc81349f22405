// `tributary bench e2e`, async vs sync with dedicated cores: the learner process pinned to
// CPU 0 and two worker processes pinned to CPU 1 (`taskset`), as when the learner and the
// workers run on separate machines. Sharing two cores, sync mode leaves no core idle (the
// workers' sampling and the learner's update each use both), so overlapping them gains little;
// with dedicated cores each side idles while the other works in sync mode, which is what
// asynchronous training removes. Same warm start, same task, same target in both modes.

import Foundation
import Worker

extension Bench {
    /// Trains to the default target with the learner on `learnerCPU` and two workers on
    /// `workerCPU`; returns wall-clock seconds, rollouts, reached, mean staleness.
    func pinnedRun(_ me: String, warm: String, dir: URL, sync: Bool, learnerCPU: Int, workerCPU: Int) throws
        -> (seconds: Double, rollouts: Double, reached: Bool, staleness: Double) {
        let port = Int.random(in: 20_000...60_000)
        var env = ProcessInfo.processInfo.environment
        env["TRIBUTARY_TRAINING_EXIT_WHEN_DONE"] = "false"
        env["TRIBUTARY_TRAINING_STEPS"] = "1500"
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
        let workers = try ["a", "b"].map { try pinned(workerCPU, ["worker", "--learner", "http://127.0.0.1:\(port)",
                                                                   "--token", "bench", "--name", $0]) }
        defer { for w in workers { w.terminate(); w.waitUntilExit() } }
        let url = try LearnerURL("http://127.0.0.1:\(port)")
        var last: [String: Any] = [:]
        while learner.isRunning {
            if let (code, body) = try? HTTP2Get.fetch(url, path: "/status", token: nil, caFile: nil), code == 200,
               let s = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                last = s
                if s["finished"] as? Bool == true { break }
            }
            usleep(100_000)
        }
        let seconds = Date().timeIntervalSince(t0)
        let reached = (last["evalGreedyAccuracy"] as? Double ?? 0) >= 0.95
        return (seconds, Double(last["groupsTrained"] as? Int ?? 0) * 8, reached, last["meanStaleness"] as? Double ?? 0)
    }

    /// Writes the `e2e_async_vs_sync_dedicated_cores` line.
    func dedicatedCores(_ me: String, warm: String, dir: URL, _ out: JSONLines) throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else {
            return try out.write(["bench": "e2e_async_vs_sync_dedicated_cores", "skipped": "needs 2 CPUs and taskset"] as [String: AnyJSON])
        }
        let a = try pinnedRun(me, warm: warm, dir: dir.appendingPathComponent("pinned-async"), sync: false, learnerCPU: 0, workerCPU: 1)
        let s = try pinnedRun(me, warm: warm, dir: dir.appendingPathComponent("pinned-sync"), sync: true, learnerCPU: 0, workerCPU: 1)
        try out.write([
            "bench": "e2e_async_vs_sync_dedicated_cores",
            "task": "reverse (default), learner on CPU 0, 2 workers on CPU 1, tiny",
            "async_seconds": .d(a.seconds), "async_reached": .s(a.reached ? "yes" : "no"), "async_rollouts": .d(a.rollouts),
            "async_mean_staleness": .d(a.staleness),
            "sync_seconds": .d(s.seconds), "sync_reached": .s(s.reached ? "yes" : "no"), "sync_rollouts": .d(s.rollouts),
            "async_speedup": .d(s.seconds / max(a.seconds, 1e-9)),
        ] as [String: AnyJSON])
    }
}
