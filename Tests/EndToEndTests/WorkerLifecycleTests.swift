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
        let env = ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_TARGET": "2", "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4"]
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
