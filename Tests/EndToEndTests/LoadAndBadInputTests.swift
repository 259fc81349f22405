// Issue 5 §5 through real processes: a learner under 64 simulated workers (`tributary
// loadgen`) loses and duplicates nothing, stays within a memory bound and keeps answering
// /status; and every submission it must refuse is refused with its own reason, counted, while
// good groups around them are still accepted.

import Foundation
import XCTest

final class LoadAndBadInputTests: XCTestCase {
    private func pretrained() throws -> String {
        let pre = Binary.tempDir(self).appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        return pre
    }

    private func memoryKB(_ pid: Int32, _ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? -1
    }

    func testSixtyFourSimulatedWorkersLoseNothingAndStatusStaysResponsive() throws {
        let pre = try pretrained()
        let port = Processes.freePort()
        let state = Binary.tempDir(self).appendingPathComponent("state").path
        let learner = try Processes.spawn(["learner", "--state-dir", state, "--init", pre, "--listen", "127.0.0.1:\(port)",
                                           "--worker-token", "tk", "--task", "reverse:digits=4"],
                                          // Simulated workers' groups rarely carry signal: never stop for it here.
                                          env: ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_TARGET": "2",
                                                "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"])
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        _ = try Processes.waitFor(port, "the learner") { _ in true }
        let rssBefore = memoryKB(learner.processIdentifier, "VmRSS")
        let r = try Binary.run(["loadgen", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--workers", "64", "--seconds", "15"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let load = try XCTUnwrap(out["load"] as? [String: Any])
        let acked = load["groupsAccepted"] as? Int ?? 0
        XCTAssertGreaterThan(acked, 64, "every simulated worker should have landed groups: \(load)")
        XCTAssertEqual(load["callErrors"] as? Int, 0, "\(load)")
        // Status answered every probe during the load (every 0.25 s), none slower than 5 s.
        XCTAssertGreaterThan(out["statusProbes"] as? Int ?? 0, 20)
        XCTAssertEqual(out["statusFailures"] as? Int, 0)
        let latency = try XCTUnwrap(out["statusLatencyMs"] as? [String: Double])
        XCTAssertLessThan(latency["max"] ?? .infinity, 5000)
        // Memory: the buffer and lease book are bounded, so the load adds little. 200 MB is far
        // above what 15 s of groups would need if they were kept (≈ 2 MB/s of encoded groups).
        let hwm = memoryKB(learner.processIdentifier, "VmHWM")
        XCTAssertGreaterThan(rssBefore, 0)
        XCTAssertLessThan(hwm - rssBefore, 200_000, "learner memory grew by \(hwm - rssBefore) kB under load")
        // Exactly once: every acknowledged group is durable, trained or buffered, never twice.
        let s = try Processes.waitFor(port, "a status after the load") { _ in true }
        let completed = s["leasesCompleted"] as? Int ?? -1
        XCTAssertGreaterThanOrEqual(completed, acked, "an acknowledged group was lost")
        XCTAssertEqual((s["groupsTrained"] as? Int ?? 0) + (s["bufferedGroups"] as? Int ?? 0), completed)
        XCTAssertEqual(s["acceptedGroups"] as? Int, completed)
    }

    func testEveryBadSubmissionIsRefusedWithItsReasonAndCounted() throws {
        let pre = try pretrained()
        let port = Processes.freePort()
        let state = Binary.tempDir(self).appendingPathComponent("state").path
        let learner = try Processes.spawn(["learner", "--state-dir", state, "--init", pre, "--listen", "127.0.0.1:\(port)",
                                           "--worker-token", "tk", "--task", "reverse:digits=4"],
                                          env: ["TRIBUTARY_TRAINING_EVAL_EVERY": "0", "TRIBUTARY_TRAINING_TARGET": "2",
                                                "TRIBUTARY_ROLLOUT_LEASE_SECONDS": "1.5", "TRIBUTARY_TRAINING_STALENESS_CAP": "1",
                                                "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "2", "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"])
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        _ = try Processes.waitFor(port, "the learner") { _ in true }
        let r = try Binary.run(["loadgen", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--scenario", "bad-inputs",
                                "--lease-seconds", "1.5", "--max-staleness", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cases = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], r.stdout)
        XCTAssertEqual(cases.count, 11)
        for c in cases {
            XCTAssertEqual(c["observed"] as? String, c["expected"] as? String, "\(c["name"] ?? "?")")
        }
        XCTAssertEqual(cases.filter { ($0["expected"] as? String) == "accepted" }.count, 3, "good groups around the bad ones")
        let s = try Processes.waitFor(port, "a status") { _ in true }
        let rejected = s["rejectedGroups"] as? [String: Int] ?? [:]
        for reason in ["duplicate_lease", "non_finite_value", "token_out_of_vocabulary", "version_from_future",
                       "stale_beyond_cap", "lease_reissued"] {
            XCTAssertEqual(rejected[reason], 1, "\(reason) in \(rejected)")
        }
        XCTAssertEqual(s["unknownWorkerRequests"] as? Int, 1, "the unknown worker id is counted")
        // The wrong token never reached the learner's admission: the transport refused and counted it.
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(port)/metrics"]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let metrics = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        XCTAssertTrue(metrics.contains("tributary_transport_rejected_total{reason=\"unauthenticated\"} 1"), metrics)
        XCTAssertTrue(learner.isRunning, "bad input must never take the learner down")
    }
}
