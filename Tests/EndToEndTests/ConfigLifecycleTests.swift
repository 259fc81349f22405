// The learner binary's configuration and lifecycle edges (issue 11 §7): a TOML syntax error
// names the file, line and column; a deprecated key works and is warned about at start-up;
// SIGINT shuts the learner down gracefully (exit 0, state on disk) like SIGTERM.

import Foundation
import XCTest

final class ConfigLifecycleTests: XCTestCase {
    private func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testSyntaxErrorNamesFileLineAndColumn() throws {
        let dir = Binary.tempDir(self)
        let bad = try write("[task]\nname = \"reverse\"\n[training\nsteps = 3\n", "bad.toml", in: dir)
        let r = try Binary.run(["learner", "--config", bad, "--print-config"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(bad): line 3, column 10: "), r.stderr)
    }

    func testDeprecatedKeyIsWarnedAboutAndTakesEffect() throws {
        let dir = Binary.tempDir(self)
        let old = try write("[training]\nstaleness_cap = 3\n[auth]\nworker_tokens = [\"t\"]\n", "old.toml", in: dir)
        let r = try Binary.run(["learner", "--config", old, "--print-config"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("learner: warning: \(old): 'training.staleness_cap' is deprecated"), r.stderr)
        XCTAssertTrue(r.stderr.contains("write 'admission.max_staleness' instead"), r.stderr)
        XCTAssertTrue(r.stdout.contains("[admission]\nmax_staleness = 3\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("staleness_cap"), r.stdout)
    }

    func testLearnerStopsGracefullyOnSIGINT() throws {
        let dir = Binary.tempDir(self)
        let state = dir.appendingPathComponent("state")
        let port = Processes.freePort()
        let learner = try Processes.spawn(["learner", "--state-dir", state.path, "--listen", "127.0.0.1:\(port)",
                                           "--worker-token", "tk", "--task", "reverse:digits=3"])
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        _ = try Processes.waitFor(port, "the learner to answer") { _ in true }
        let t0 = Date()
        learner.interrupt()
        learner.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30, "SIGINT must end the learner promptly")
        XCTAssertEqual(learner.terminationReason, .exit, "a graceful exit, not death by the signal")
        XCTAssertEqual(learner.terminationStatus, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: state.appendingPathComponent("LATEST").path), "no checkpoint")
    }
}
