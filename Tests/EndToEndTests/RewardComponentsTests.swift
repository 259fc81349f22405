// A composite reward end to end: a learner configured by TOML (`[task] rewards = […]`) and a
// worker over real HTTP/2 train a tiny model on a jsonl task whose reward combines two
// built-ins and a real external program (examples/rewards/verifier.py); each component's
// figures appear in /status (JSON) and /metrics (Prometheus).

import Foundation
import XCTest

final class RewardComponentsTests: XCTestCase {
    func testComponentsOfACompositeRewardReachStatusAndMetrics() throws {
        let dir = Binary.tempDir(self)
        let rows = (0..<30).map { i in #"{"prompt": "\#(i % 6) plus \#(i / 6)", "answer": \#(i % 6 + i / 6), "aliases": []}"# }
        let data = dir.appendingPathComponent("sums.jsonl")
        try rows.joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let verifier = Binary.repoRoot.appendingPathComponent("examples/rewards/verifier.py").path
        let config = dir.appendingPathComponent("learner.toml")
        try """
        [task]
        name = "jsonl:path=\(data.path),max_new_tokens=3"
        rewards = [{name = "numeric", from = "any", weight = 0.5},
                   {name = "format", pattern = "-?\\\\d+", weight = 0.5},
                   {name = "external", label = "program", command = ["python3", "\(verifier)"], timeout = 20}]
        correct = "all"
        [rollout]
        group_size = 4
        [training]
        groups_per_step = 4
        eval_every = 0
        target = 2
        """.write(to: config, atomically: true, encoding: .utf8)
        let port = Processes.freePort()
        let learner = try Processes.spawn(["learner", "--config", config.path, "--state-dir", dir.appendingPathComponent("state").path,
                                           "--listen", "127.0.0.1:\(port)", "--worker-token", "tk"])
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        let worker = try Processes.spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--name", "scorer"])
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        let s = try Processes.waitFor(port, timeout: 180, "two steps with reward components") { s in
            let comps = s["rewardComponents"] as? [[String: Any]] ?? []
            return ((s["step"] as? Int) ?? 0) >= 2 && comps.count == 3 && comps.allSatisfy { $0["recentMean"] != nil }
        }
        let comps = try XCTUnwrap(s["rewardComponents"] as? [[String: Any]])
        XCTAssertEqual(comps.map { $0["component"] as? String }, ["numeric", "format", "program"])
        for c in comps {
            XCTAssertGreaterThanOrEqual(c["samples"] as? Int ?? 0, 32, "\(c)")
            let mean = try XCTUnwrap(c["mean"] as? Double)
            XCTAssertTrue((0...1).contains(mean), "\(c)")
            XCTAssertEqual(c["failures"] as? [String: Int], [:], "no component failed: \(c)")
        }
        XCTAssertTrue((s["task"] as? String ?? "").contains("rewards=["), "the spec carries the rewards")
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(port)/metrics"]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let metrics = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        for label in ["numeric", "format", "program"] {
            XCTAssertTrue(metrics.contains("tributary_reward_component_mean{component=\"\(label)\"} "), metrics)
            XCTAssertTrue(metrics.contains("tributary_reward_component_recent_mean{component=\"\(label)\"} "), metrics)
        }
        XCTAssertTrue(learner.isRunning && worker.isRunning)
    }
}
