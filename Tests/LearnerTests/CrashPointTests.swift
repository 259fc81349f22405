// Exactly-once across crash points (issue 14 §1), in process and deterministic: an ingest
// actor on a manual clock, a write-ahead log and a checkpoint file on disk, and a training
// loop that writes batch dumps like the learner's. A crash drops every in-memory object and
// restores from the checkpoint and the log exactly as `LearnerNode.open` does
// (`IngestState.restore`, `BatchDumps.prepare`). Random schedules — seeded, printed, and
// replayable with TRIBUTARY_CRASH_SEED=<seed> — crash around checkpoints (before the write,
// after it but before the log rotates), lease expiry and re-issue, acks (logged, ack lost),
// torn log appends and training steps (batch taken, dump written, step not durable). After
// every restore and at the end the audit checks: every prompt trained at most once (batch
// dumps), every acknowledged group trained or buffered, no prompt accepted twice, and every
// prompt issued so far in exactly one place.

import Foundation
import Training
import XCTest
import Tasks
import Wire
@testable import Learner

final class CrashPointTests: XCTestCase {
    /// Seeds per run; TRIBUTARY_CRASH_SEEDS raises it, TRIBUTARY_CRASH_SEED runs just one.
    private var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let s = env["TRIBUTARY_CRASH_SEED"].flatMap(UInt64.init) { return [s] }
        let n = env["TRIBUTARY_CRASH_SEEDS"].flatMap(Int.init) ?? 200
        return (1...UInt64(max(1, n))).map { $0 }
    }

    func testRandomCrashPointsKeepExactlyOnce() async throws {
        let all = seeds
        print("CrashPointTests: seeds \(all.first!)…\(all.last!) (replay one with TRIBUTARY_CRASH_SEED=<seed>)")
        for seed in all {
            let h = try await CrashHarness(label: "crash-\(seed)", test: self)
            do { try await h.runRandom(seed: seed, operations: 160) } catch {
                XCTFail("seed \(seed): \(error)\ntrace (replay with TRIBUTARY_CRASH_SEED=\(seed)):\n\(h.trace.suffix(40).joined(separator: "\n"))")
                return
            }
        }
    }

    /// The sequence of issue 14: a lease outstanding at a checkpoint expires, its prompt is
    /// re-issued, the re-issue is acknowledged (logged after the checkpoint), and the learner
    /// dies before the next checkpoint. After the restart the first lease must not come back.
    func testReissuedLeaseAckedAfterCheckpointIsNotTrainedAgain() async throws {
        let h = try await CrashHarness(label: "crash-issue14", test: self)
        let w1 = await h.register(), w2 = await h.register()
        let first = await h.lease(worker: w1, count: 1)
        XCTAssertEqual(first.map(\.promptIndex), [0])
        try await h.checkpoint(crashAt: nil)
        h.clock.advance(h.config.leaseSeconds + 1)                 // the lease expires…
        let again = await h.lease(worker: w2, count: 1)            // …and prompt 0 is re-issued
        XCTAssertEqual(again.map(\.promptIndex), [0])
        let acks = try await h.submit(again, worker: w2)
        XCTAssertEqual(acks, [.accepted])
        try await h.crash(torn: false)                             // kill -9 before the next checkpoint
        try await h.audit("after restart")
        let leases = await h.ingest.leases
        XCTAssertEqual(leases.outstanding.count, 0, "the expired first lease must stay retired: \(leases.outstanding)")
        XCTAssertEqual(leases.reissueQueue, [], "prompt 0 is logged; it must not wait for re-issue")
        h.clock.advance(h.config.leaseSeconds + 1)
        let w3 = await h.register()
        let next = await h.lease(worker: w3, count: 2)
        XCTAssertEqual(next.map(\.promptIndex), [1, 2], "prompt 0 is issued a third time")
        // The first lease's late group is refused as re-issued, not trained.
        let late = try await h.submit(first, worker: w1)
        XCTAssertEqual(late, [.rejected(.leaseReissued, message: "lease \(first[0].leaseId) passed its deadline and its prompt was re-issued (late submission)")])
        _ = try await h.submit(next, worker: w3)
        try await h.train(crash: .none)
        try await h.audit("end")
    }
}

/// Deterministic random numbers for the schedules (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A learner's durable state on disk and its in-memory ingestion and training, with crashes.
final class CrashHarness {
    let config: LearnerConfig
    let task: any VerifiableTask
    let store: LearnerStateStore
    let dumps: URL
    let clock = ManualClock()
    private(set) var ingest: IngestState!
    /// The training loop's in-memory state (lost in a crash).
    private var durable = LearnerDurableState(leases: LeaseBook(), trainedThrough: 0, walNext: 0, nextWorkerID: 1, step: 0)
    // The outside world's view, which survives crashes.
    /// Work units workers hold, with the worker id they registered under.
    private var held: [(unit: WorkUnit, worker: UInt64)] = []
    /// Groups sent before (duplicates and late submissions are re-sent from here).
    private var sent: [(group: TrajectoryGroup, worker: UInt64)] = []
    /// Prompt → lease of every group acknowledged as accepted.
    private var acked: [Int: UInt64] = [:]
    private var workers: [UInt64] = []
    private(set) var trace: [String] = []
    private var checkpointFile: URL { store.root.appendingPathComponent("checkpoint.json") }

    init(label: String, test: XCTestCase) async throws {
        // On tmpfs when there is one: the schedules fsync hundreds of times, and a crash here is
        // simulated (in-memory state dropped), so the disk's own durability is not under test.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        let dir = base.appendingPathComponent("\(label)-\(UUID().uuidString)")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var c = LearnerConfig()
        c.task = "reverse:digits=4"
        c.stateDir = dir.path
        c.groupSize = 2
        c.groupsPerStep = 2
        c.bufferCapacity = 64
        c.leaseSeconds = 10
        config = c
        task = try TaskSpec(parsing: c.task).makeTask()
        store = LearnerStateStore(root: dir)
        dumps = dir.appendingPathComponent("batches")
        try await open()
    }

    /// Start-up, as `LearnerNode.open`: the checkpoint (if any), dumps it does not cover
    /// removed, the log replayed into the lease book. Every worker must register again.
    private func open() async throws {
        let data = try? Data(contentsOf: checkpointFile)
        durable = try data.map { try JSONDecoder().decode(LearnerDurableState.self, from: $0) }
            ?? LearnerDurableState(leases: LeaseBook(), trainedThrough: 0, walNext: 0, nextWorkerID: 1, step: 0)
        try BatchDumps.prepare(dumps, durableStep: durable.step)
        (ingest, _) = try await IngestState.restore(config: config, task: task, vocabSize: task.tokenizer.vocabSize,
                                                    durable: durable, version: 0, walDirectory: store.walDirectory,
                                                    hadCheckpoint: data != nil, clock: clock)
        workers = []
    }

    /// kill -9: everything in memory is gone; `torn` leaves half a record at the log's end
    /// (a crash in the middle of an append that was never acknowledged).
    func crash(torn: Bool) async throws {
        trace.append("crash\(torn ? " (torn append)" : "")")
        ingest = nil
        if torn {
            let names = try FileManager.default.contentsOfDirectory(atPath: store.walDirectory.path).filter { $0.hasPrefix("wal-") }.sorted()
            if let newest = names.last {
                let h = try FileHandle(forWritingTo: store.walDirectory.appendingPathComponent(newest))
                h.seekToEndOfFile()
                h.write(Data([0x40, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 7, 0, 0]))   // a header promising 64 bytes, cut short
                try h.close()
            }
        }
        try await open()
    }

    func register() async -> UInt64 {
        let id = await ingest.register(name: "w", address: "test")
        workers.append(id)
        trace.append("register → \(id)")
        return id
    }

    func lease(worker: UInt64, count: Int) async -> [WorkUnit] {
        let units = await ingest.lease(worker: worker, max: count, workerVersion: nil)
        held += units.map { ($0, worker) }
        trace.append("lease w\(worker) → " + units.map { "L\($0.leaseId)/p\($0.promptIndex)" }.joined(separator: " "))
        return units
    }

    private func group(_ u: WorkUnit, worker: UInt64) -> TrajectoryGroup {
        TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens, policyVersion: 0,
                        workerId: worker, samples: (0..<config.groupSize).map { _ in
                            Sample(tokens: [1, 2], logProbs: [-0.5, -0.5], reward: 0, correct: false, finishReason: .end) })
    }

    /// Submits groups for `units`; `ackLost` = the process dies after the log append, before
    /// the worker reads the acks (the groups are durable but unacknowledged).
    @discardableResult
    func submit(_ units: [WorkUnit], worker: UInt64, ackLost: Bool = false) async throws -> [SubmitAck.Outcome] {
        let groups = units.map { group($0, worker: worker) }
        return try await submit(groups: groups, worker: worker, ackLost: ackLost)
    }

    private func submit(groups: [TrajectoryGroup], worker: UInt64, ackLost: Bool) async throws -> [SubmitAck.Outcome] {
        while await ingest.buffer.count + groups.count > config.bufferCapacity { try await train(crash: .none) }
        let acks = await ingest.submit(groups, from: worker)
        sent += groups.map { ($0, worker) }
        held.removeAll { h in groups.contains { $0.leaseId == h.unit.leaseId } }
        trace.append("submit w\(worker) " + zip(groups, acks).map { g, a in
            "L\(g.leaseId)/p\(g.promptIndex)=\(a.outcome == .accepted ? "ok" : "no")" }.joined(separator: " ") + (ackLost ? " (acks lost)" : ""))
        if ackLost { return acks.map(\.outcome) }
        for (g, a) in zip(groups, acks) where a.outcome == .accepted {
            if let before = acked[Int(g.promptIndex)] {
                throw AuditFailure("prompt \(g.promptIndex) accepted twice (leases \(before) and \(g.leaseId))")
            }
            acked[Int(g.promptIndex)] = g.leaseId
        }
        return acks.map(\.outcome)
    }

    enum TrainCrash { case none, afterTake, afterDump }

    /// One training step as `TrainingLoop.run`: take a batch, dump it, count the step.
    func train(crash: TrainCrash) async throws {
        let p = config.groupsPerStep
        guard await ingest.buffer.count >= p else { return }
        let batch = await ingest.takeBatch(p)
        trace.append("train step \(durable.step): " + batch.map { "p\($0.group.promptIndex)" }.joined(separator: " "))
        if crash == .afterTake { return try await self.crash(torn: false) }
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        try JSONEncoder().encode(batch.map(\.group.promptIndex))
            .write(to: dumps.appendingPathComponent(BatchDumps.fileName(step: durable.step)))
        if crash == .afterDump { return try await self.crash(torn: false) }
        durable.step += 1
        durable.groupsTrained += batch.count
        durable.trainedThrough = (batch.map(\.sequence).max() ?? 0) + 1
    }

    /// A checkpoint as `TrainingLoop.checkpoint`: one consistent view of ingestion, the file
    /// written atomically, then the log rotated and covered segments dropped. `crashAt` 0 dies
    /// before the write, 1 after it but before the log is rotated.
    func checkpoint(crashAt: Int?) async throws {
        let (leases, walNext, nextWorker) = await ingest.checkpointView()
        durable.leases = leases
        durable.walNext = walNext
        durable.nextWorkerID = nextWorker
        trace.append("checkpoint at step \(durable.step) walNext \(walNext)\(crashAt.map { " (crash \($0))" } ?? "")")
        if crashAt == 0 { return try await crash(torn: false) }
        try store.writeAtomically(try JSONEncoder().encode(durable), to: checkpointFile)
        if crashAt == 1 { return try await crash(torn: false) }
        try await ingest.checkpointed(trainedThrough: durable.trainedThrough)
    }

    /// The prompts of every batch dump on disk (the trained history).
    private func trainedPrompts() throws -> [Int] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dumps.path)) ?? []).filter { $0.hasPrefix("batch-") }
        return try names.flatMap { try JSONDecoder().decode([UInt64].self, from: Data(contentsOf: dumps.appendingPathComponent($0))).map(Int.init) }
    }

    /// The exactly-once audit; throws what is wrong.
    func audit(_ when: String) async throws {
        let trained = try trainedPrompts()
        let buffered = await ingest.buffer.map { Int($0.group.promptIndex) }
        let leases = await ingest.leases
        let snap = await ingest.snapshot()
        func fail(_ m: String) -> AuditFailure { AuditFailure("\(when): \(m)") }
        let dupTrained = Dictionary(grouping: trained, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if !dupTrained.isEmpty { throw fail("prompts trained twice: \(dupTrained)") }
        let places = trained + buffered + leases.outstandingPrompts + leases.reissueQueue
        let dup = Dictionary(grouping: places, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if !dup.isEmpty {
            throw fail("prompts in two places: \(dup) (trained \(trained.sorted()), buffered \(buffered.sorted()), outstanding \(leases.outstandingPrompts), re-issue \(leases.reissueQueue))")
        }
        let have = Set(trained + buffered)
        let lost = acked.keys.filter { !have.contains($0) }.sorted()
        if !lost.isEmpty { throw fail("acknowledged prompts neither trained nor buffered: \(lost)") }
        let placed = Set(places)
        let missing = (0..<leases.promptCursor).filter { !placed.contains($0) }
        if !missing.isEmpty { throw fail("issued prompts in no place (lost): \(missing)") }
        if snap.groupsTaken + snap.buffered != snap.leasesCompleted {
            throw fail("taken \(snap.groupsTaken) + buffered \(snap.buffered) ≠ leases completed \(snap.leasesCompleted)")
        }
    }

    /// A random schedule of `operations` steps with crashes anywhere, then a quiet end in
    /// which every outstanding prompt is leased, submitted and trained.
    func runRandom(seed: UInt64, operations: Int) async throws {
        var rng = SeededRandom(state: seed)
        func roll(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        for _ in 0..<operations {
            if workers.isEmpty || roll(12) == 0 { _ = await register() }
            switch roll(20) {
            case 0...3:
                _ = await lease(worker: workers[roll(workers.count)], count: 1 + roll(3))
            case 4...5:
                clock.advance(Double(roll(Int(config.leaseSeconds * 10))) / 10)
            case 6...9:
                guard !held.isEmpty else { continue }
                let pick = held[roll(held.count)]
                let same = held.filter { $0.worker == pick.worker }.prefix(1 + roll(3)).map(\.unit)
                let lostAcks = roll(8) == 0
                try await submit(Array(same), worker: pick.worker, ackLost: lostAcks)
                if lostAcks { try await crash(torn: false) }
            case 10:
                guard !sent.isEmpty else { continue }   // a duplicate or late resubmission
                let s = sent[roll(sent.count)]
                let out = try await submit(groups: [s.group], worker: s.worker, ackLost: false)
                if out == [.accepted], acked[Int(s.group.promptIndex)] != s.group.leaseId {
                    throw AuditFailure("a resubmitted group was accepted for another lease")
                }
            case 11...12:
                try await train(crash: roll(6) == 0 ? (roll(2) == 0 ? .afterTake : .afterDump) : .none)
            case 13...14:
                try await checkpoint(crashAt: roll(4) == 0 ? roll(2) : nil)
            case 15:
                let w = workers[roll(workers.count)]
                await ingest.goodbye(worker: w)
                workers.removeAll { $0 == w }
                trace.append("goodbye w\(w)")
                if workers.isEmpty { _ = await register() }
            case 16:
                try await crash(torn: roll(2) == 0)
            default:
                try await train(crash: .none)
            }
            if trace.last?.hasPrefix("crash") == true { try await audit("after a restart") }
        }
        try await audit("after the schedule")
        // Quiet end: every deadline passes, every prompt left is leased and submitted once.
        clock.advance(config.leaseSeconds * 2)
        held = []
        let w = await register()
        for _ in 0..<50 {
            let units = await lease(worker: w, count: 4)
            if units.isEmpty { break }
            try await submit(units, worker: w)
            try await train(crash: .none)
        }
        try await checkpoint(crashAt: nil)
        try await crash(torn: false)
        try await audit("after the final restart")
        let leases = await ingest.leases
        if !leases.outstanding.isEmpty {
            throw AuditFailure("leases outstanding after the quiet end: \(leases.outstandingPrompts)")
        }
    }
}

struct AuditFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
