// Fault tests with real processes (issue 5 §5): a learner killed with SIGKILL three times
// while a worker keeps submitting. After each restart versions keep increasing, and at the
// end every group a worker saw acknowledged is durable and accounted for exactly once:
// leases completed ≥ acknowledgements seen, and trained + in training + buffered = leases
// completed. The
// learner's batch dumps name every trained prompt: none appears twice, and none is missing.
//
// The kill moments are random and seeded: each test prints
// `FaultTests.<test>: TRIBUTARY_FAULT_SEED=<seed>` before its first kill; run with that
// environment variable set to draw the same delays again (docs/operations.md, "Durability
// and resume"). The processes' own timing still varies, so a seed replays the schedule of
// kills, not every interleaving. The waits here are wall-clock on purpose: they wait for
// real processes (a learner, workers).

import Foundation
import XCTest

final class FaultTests: XCTestCase {
    /// The random kill moments of one test: seeded from TRIBUTARY_FAULT_SEED, or a fresh seed,
    /// printed either way so a failure can be replayed.
    private func killMoments(_ test: String = #function) -> FaultSchedule {
        let env = ProcessInfo.processInfo.environment["TRIBUTARY_FAULT_SEED"].flatMap { UInt64($0) }
        let seed = env ?? UInt64.random(in: 1...UInt64(Int64.max))
        print("FaultTests.\(test.replacingOccurrences(of: "()", with: "")): TRIBUTARY_FAULT_SEED=\(seed)\(env == nil ? " (fresh; set it to replay)" : " (from the environment)")")
        return FaultSchedule(seed: seed)
    }

    private func freePort() -> Int { Processes.freePort() }
    private func spawn(_ args: [String], env: [String: String] = [:], stdout: FileHandle? = nil) throws -> Process {
        try Processes.spawn(args, env: env, stdout: stdout)
    }
    private func status(_ port: Int) -> [String: Any]? { Processes.status(port) }
    private func waitFor(_ port: Int, timeout: Double = 90, _ what: String, _ cond: ([String: Any]) -> Bool) throws -> [String: Any] {
        try Processes.waitFor(port, timeout: timeout, what, cond)
    }

    /// No worker is left and no batch can start: nothing in training and fewer groups buffered
    /// than a step takes (`TRIBUTARY_TRAINING_GROUPS_PER_STEP` 4), so the dumps on disk and the
    /// counts of this status describe the same history.
    private static func settled(_ s: [String: Any]) -> Bool {
        (s["groupsInTraining"] as? Int) == 0 && ((s["bufferedGroups"] as? Int) ?? 4) < 4
    }

    func testLearnerKilledRepeatedlyLosesNoAcknowledgedGroup() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        // Warm-started on the learner's own task: a model pretrained on 6-digit strings never
        // answers a 4-digit one, so no batch would carry reward signal and the version (which
        // moves only with the weights) would never advance.
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--task", "reverse:digits=4", "--target-accuracy", "0.05"]).status, 0)
        let port = freePort()
        let learnerArgs = ["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                           "--listen", "127.0.0.1:\(port)", "--worker-token", "t0ken", "--task", "reverse:digits=4",
                           "--dump-batches", dir.appendingPathComponent("batches").path]
        // A 5 % warm start rarely gives a batch with signal; this test is about durability, so the
        // learner must not stop for lack of signal (training.no_signal_batches = 0).
        let env = ["TRIBUTARY_STATE_CHECKPOINT_EVERY": "3", "TRIBUTARY_TRAINING_EVAL_EVERY": "0",
                   "TRIBUTARY_TRAINING_TARGET": "2", "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4",
                   "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"]
        var learner = try spawn(learnerArgs, env: env)
        let workerOut = Pipe()
        let worker = try spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "t0ken", "--name", "w"],
                               stdout: workerOut.fileHandleForWriting)
        var moments = killMoments()
        var lastVersion = 0, lastStep = 0
        for kill in 0..<3 {
            let s = try waitFor(port, "training to advance before kill \(kill)") { s in
                ((s["step"] as? Int) ?? 0) >= lastStep + 3 && ((s["version"] as? Int) ?? 0) > lastVersion
            }
            let v = s["version"] as! Int
            XCTAssertGreaterThan(v, lastVersion, "versions must increase across restarts")
            lastVersion = v; lastStep = s["step"] as! Int
            // SIGKILL at a random (seeded) moment of the next ~0.3 s (possibly mid-checkpoint or
            // mid-append): a wall-clock wait, since the learner is a real process.
            usleep(moments.microseconds(in: 0...300_000))
            Foundation.kill(learner.processIdentifier, SIGKILL)
            learner.waitUntilExit()
            learner = try spawn(learnerArgs, env: env)
            let after = try waitFor(port, "the restarted learner to answer") { _ in true }
            XCTAssertGreaterThanOrEqual(after["version"] as! Int, lastVersion, "version went backwards after restart \(kill)")
            // Every step /status showed is durable (version-floor), also steps without a new version.
            XCTAssertGreaterThanOrEqual(after["step"] as! Int, lastStep, "step went backwards after restart \(kill)")
        }
        _ = try waitFor(port, "training to continue after the last restart") { s in ((s["step"] as? Int) ?? 0) >= lastStep + 2 }
        // Stop the worker; it prints how many acknowledgements it saw.
        worker.terminate()
        worker.waitUntilExit()
        try workerOut.fileHandleForWriting.close()
        let out = String(decoding: workerOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let acked = Int(out.components(separatedBy: "accepted ").last?.prefix { $0.isNumber } ?? "") ?? -1
        XCTAssertGreaterThan(acked, 0, out)
        let final = try waitFor(port, "training to settle") { s in Self.settled(s) }
        learner.terminate()
        learner.waitUntilExit()
        let completed = final["leasesCompleted"] as! Int, trained = final["groupsTrained"] as! Int
        let buffered = final["bufferedGroups"] as! Int, inTraining = final["groupsInTraining"] as! Int
        // The worker counts every ack it received over its whole life, across reconnects. A group
        // logged just before a kill may never have been acknowledged, hence ≥.
        XCTAssertGreaterThanOrEqual(completed, acked, "an acknowledged group was lost")
        XCTAssertEqual(trained + inTraining + buffered, completed, "a durable group was trained twice or not at all: \(final)")
        // The dumps of the final history (steps redone after a restart replaced the old files).
        let prompts = try Processes.dumpedPromptIndices(dir.appendingPathComponent("batches"))
        XCTAssertEqual(prompts.count, trained, "one dumped group per trained group")
        XCTAssertEqual(Set(prompts).count, prompts.count, "a prompt was trained twice across the restarts")
    }

    /// A worker killed with SIGKILL while holding leases: its leases pass their deadline and
    /// are re-issued to the other worker, training continues, and the accounting still holds.
    func testWorkerKilledHoldingLeasesIsCoveredByReissue() throws {
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--out", pre, "--target-accuracy", "0.05"]).status, 0)
        let port = freePort()
        let env = ["TRIBUTARY_ROLLOUT_LEASE_SECONDS": "1.5", "TRIBUTARY_TRAINING_EVAL_EVERY": "0",
                   "TRIBUTARY_TRAINING_TARGET": "2", "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4",
                   "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0"]   // durability, not learning: never stop for lack of signal
        let learner = try spawn(["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                                 "--listen", "127.0.0.1:\(port)", "--worker-token", "t", "--task", "reverse:digits=4",
                                 "--dump-batches", dir.appendingPathComponent("batches").path], env: env)
        defer { learner.terminate(); learner.waitUntilExit() }
        let victim = try spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "t", "--name", "victim",
                                "--prompts-per-lease", "8"])
        _ = try waitFor(port, "training to start") { s in ((s["step"] as? Int) ?? 0) >= 1 }
        // Freeze the victim (SIGSTOP) and look: once it is frozen nothing it holds can be
        // submitted, so outstanding leases seen now are certainly its and must expire. If it
        // happened to hold none at that instant, let it run a moment and look again.
        // The waits are wall-clock (real processes), bounded (50 tries); the run's seed draws them.
        var moments = killMoments()
        var frozenHolding = false
        for _ in 0..<50 {
            Foundation.kill(victim.processIdentifier, SIGSTOP)
            usleep(300_000)   // let the learner answer what the victim had in flight
            if let s = status(port), ((s["outstandingLeases"] as? Int) ?? 0) > 0 { frozenHolding = true; break }
            Foundation.kill(victim.processIdentifier, SIGCONT)
            usleep(moments.microseconds(in: 50_000...250_000))
        }
        XCTAssertTrue(frozenHolding, "the victim never held a lease while frozen")
        Foundation.kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let before = try waitFor(port, "a status") { _ in true }
        let survivor = try spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "t", "--name", "survivor"])
        defer { survivor.terminate(); survivor.waitUntilExit() }
        let after = try waitFor(port, "re-issue and progress") { s in
            ((s["leasesReissued"] as? Int) ?? 0) > 0 && ((s["step"] as? Int) ?? 0) >= (before["step"] as! Int) + 3
        }
        XCTAssertGreaterThan(after["leasesReissued"] as! Int, 0)
        survivor.terminate(); survivor.waitUntilExit()
        let quiet = try waitFor(port, "training to settle") { s in Self.settled(s) }
        let trained = quiet["groupsTrained"] as! Int, buffered = quiet["bufferedGroups"] as! Int
        let inTraining = quiet["groupsInTraining"] as! Int
        XCTAssertEqual(trained + inTraining + buffered, quiet["leasesCompleted"] as! Int, "\(quiet)")
        // Every prompt issued so far is in exactly one place; the victim's prompts were not lost.
        XCTAssertEqual(quiet["promptCursor"] as! Int,
                       trained + inTraining + buffered + (quiet["outstandingLeases"] as! Int) + (quiet["promptsAwaitingReissue"] as! Int),
                       "prompts issued ≠ trained + buffered + outstanding + awaiting re-issue: \(quiet)")
        let prompts = try Processes.dumpedPromptIndices(dir.appendingPathComponent("batches"))
        XCTAssertEqual(prompts.count, trained)
        XCTAssertEqual(Set(prompts).count, prompts.count, "a prompt was trained twice")
        XCTAssertTrue(prompts.allSatisfy { $0 >= 0 && $0 < (quiet["promptCursor"] as! Int) })
    }
}

/// Random delays from a seed (SplitMix64), so a fault run's kill moments can be drawn again.
struct FaultSchedule {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A delay in `range` microseconds.
    mutating func microseconds(in range: ClosedRange<UInt32>) -> UInt32 {
        range.lowerBound + UInt32(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
