// A worker's life against a learner that is not always there (issue 5 §2 and §5): started
// before any learner exists it backs off and keeps trying, registers by itself once the
// learner comes up and gets groups accepted; on SIGTERM it stops taking leases and exits
// promptly with status 0, reporting its acknowledgements.

import Foundation
import XCTest

final class WorkerLifecycleTests: XCTestCase {
    func testWorkerWaitsForAnUnreachableLearnerThenJoinsAndStopsOnSIGTERM() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        let port = Processes.freePort()
        let out = Pipe()
        let worker = try Processes.spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--name", "early"],
                                         stdout: out.fileHandleForWriting)
        // Nobody listens yet: the worker must keep retrying (not exit) through several backoffs.
        sleep(4)
        XCTAssertTrue(worker.isRunning, "the worker gave up while the learner was unreachable")
        // A 5 % warm start gives many batches without reward signal; this test is about the worker's
        // life, so the learner must not stop for that (LearningHealth) before the worker has left.
        let env = ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_TARGET": "2", "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4",
                   "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"]
        let learner = try Processes.spawn(["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                                           "--listen", "127.0.0.1:\(port)", "--worker-token", "tk", "--task", "reverse:digits=4"], env: env)
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        let joined = try Processes.waitFor(port, "the early worker to register and train") { s in
            let workers = s["workers"] as? [[String: Any]] ?? []
            return workers.contains { ($0["name"] as? String) == "early" } && ((s["step"] as? Int) ?? 0) >= 2
        }
        XCTAssertGreaterThan(joined["acceptedGroups"] as? Int ?? 0, 0)
        // SIGTERM: stops taking leases, finishes what it holds, exits 0 within a bounded time.
        let t0 = Date()
        worker.terminate()
        worker.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(t0), 60, "SIGTERM must end the worker promptly")
        XCTAssertEqual(worker.terminationReason, .exit)
        XCTAssertEqual(worker.terminationStatus, 0)
        try out.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let acked = Int(text.components(separatedBy: "accepted ").last?.prefix { $0.isNumber } ?? "") ?? -1
        XCTAssertGreaterThan(acked, 0, text)
        let final = try Processes.waitFor(port, "a status after the worker left") { _ in true }
        XCTAssertGreaterThanOrEqual(final["leasesCompleted"] as? Int ?? 0, acked, "an acknowledged group is missing")
    }
}

/// `training.exit_when_done = false`: after its step budget the learner keeps serving status
/// (healthz 200, readyz 503, `finished` true) until SIGTERM, then exits 0.
final class LearnerAfterTrainingTests: XCTestCase {
    func testLearnerServesStatusAfterTrainingUntilSIGTERM() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        let port = Processes.freePort()
        let env = ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4",
                   "TRIBUTARY_TRAINING_EXIT_WHEN_DONE": "false"]
        let learner = try Processes.spawn(["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                                           "--listen", "127.0.0.1:\(port)", "--worker-token", "tk", "--task", "reverse:digits=4",
                                           "--steps", "2"], env: env)
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        let worker = try Processes.spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "tk"])
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        let done = try Processes.waitFor(port, "training to finish") { ($0["finished"] as? Bool) == true }
        XCTAssertEqual(done["step"] as? Int, 2)
        sleep(2)
        XCTAssertTrue(learner.isRunning, "exit_when_done = false: the learner must stay up")
        let base = "http://127.0.0.1:\(port)"
        let health = try Binary.run(["status", "--learner", base, "--json"])
        XCTAssertEqual(health.status, 0, health.stderr)
        let readyz = Process()
        readyz.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        readyz.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "\(base)/readyz"]
        let pipe = Pipe()
        readyz.standardOutput = pipe
        try readyz.run()
        readyz.waitUntilExit()
        XCTAssertEqual(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "503")
        learner.terminate()
        let deadline = Date().addingTimeInterval(60)
        while learner.isRunning && Date() < deadline { usleep(100_000) }
        XCTAssertFalse(learner.isRunning, "SIGTERM did not stop the finished learner")
        if learner.isRunning { kill(learner.processIdentifier, SIGKILL) }
        learner.waitUntilExit()
        XCTAssertEqual(learner.terminationStatus, 0)
    }
}
