// Structured logs (issue 6 §2): with `--log-format json` every line the learner and the
// worker write is one JSON object with ts, level, label and message, and the learner's RPC
// lines carry a request id and the worker id.

import Foundation
import XCTest

final class LoggingTests: XCTestCase {
    private func spawnLogging(_ args: [String], env: [String: String] = [:], stderr: FileHandle) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr
        try p.run()
        return p
    }

    private func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").map { line in
            let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(obj, "not a JSON object: \(line)")
            return obj ?? [:]
        }
    }

    func testJSONLogsCarryRequestAndWorkerIDs() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        let port = Processes.freePort()
        let learnerLog = dir.appendingPathComponent("learner.log"), workerLog = dir.appendingPathComponent("worker.log")
        XCTAssertTrue(FileManager.default.createFile(atPath: learnerLog.path, contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: workerLog.path, contents: nil))
        let learner = try spawnLogging(["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                                        "--listen", "127.0.0.1:\(port)", "--worker-token", "tk", "--task", "reverse:digits=4",
                                        "--log-format", "json"],
                                       // A 5 % warm start: on an idle machine 50 batches without signal pass
                                       // in a second or two, and the learner must not stop for that here.
                                       env: ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_TARGET": "2",
                                             "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4", "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"],
                                       stderr: try FileHandle(forWritingTo: learnerLog))
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        let worker = try spawnLogging(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--name", "logged",
                                       "--log-format", "json"], stderr: try FileHandle(forWritingTo: workerLog))
        _ = try Processes.waitFor(port, "training steps") { (($0["step"] as? Int) ?? 0) >= 3 }
        worker.terminate(); worker.waitUntilExit()
        learner.terminate(); learner.waitUntilExit()

        let learnerLines = jsonLines(try String(contentsOf: learnerLog, encoding: .utf8))
        XCTAssertGreaterThan(learnerLines.count, 3)
        for l in learnerLines {
            for key in ["ts", "level", "label", "message"] { XCTAssertNotNil(l[key], "\(key) missing in \(l)") }
        }
        let registered = learnerLines.first { ($0["message"] as? String) == "worker registered" }
        XCTAssertNotNil(registered, "no registration line")
        XCTAssertNotNil(registered?["request-id"] as? String)
        XCTAssertEqual(registered?["worker-name"] as? String, "logged")
        XCTAssertNotNil(Int(registered?["worker-id"] as? String ?? ""), "worker-id missing: \(registered ?? [:])")
        XCTAssertTrue(learnerLines.contains { ($0["message"] as? String ?? "").contains("step") }, "no training step lines")

        let workerLines = jsonLines(try String(contentsOf: workerLog, encoding: .utf8))
        let workerRegistered = workerLines.first { ($0["message"] as? String) == "registered" }
        XCTAssertEqual(workerRegistered?["worker-id"] as? String, registered?["worker-id"] as? String)
    }
}
