// External rewards through real processes: the two example verifiers, and hostile programs
// (hang, crash, garbage, NaN, wrong count, wrong id, memory and CPU hogs) whose every failure
// must be a typed, counted outcome while the pool keeps working.
import Foundation
import XCTest
@testable import Rewards

/// Paths of the test fixtures and of the repository's examples.
enum Paths {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    static func example(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/rewards/\(name)").path
    }
}

/// Records back-off delays instead of sleeping.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []
    var delays: [Duration] { lock.withLock { recorded } }
    var sleep: @Sendable (Duration) async -> Void { { d in self.lock.withLock { self.recorded.append(d) } } }
}

final class ExternalProcessRewardTests: XCTestCase {
    private func pool(_ script: String, args: [String] = [], timeout: Duration = .seconds(20), processes: Int = 1,
                      policy: FailurePolicy = .zero, limits: ProcessLimits = ProcessLimits(),
                      sleep: (@Sendable (Duration) async -> Void)? = nil) -> ExternalProcessReward {
        var c = ExternalProcessConfig(command: ["python3", script] + args)
        c.timeout = timeout
        c.processes = processes
        c.policy = policy
        c.limits = limits
        c.discardStderr = true
        let p = ExternalProcessReward(label: "ext", config: c, sleep: sleep ?? SleepRecorder().sleep)
        addTeardownBlock { await p.shutdown() }
        return p
    }

    private func kinds(_ outcomes: [ExternalOutcome]) -> [FailureKind?] { outcomes.map { $0.failure?.kind } }

    func testStdlibVerifierScoresBatchesWithMetadata() async throws {
        let p = pool(Paths.example("verifier.py"), processes: 2)
        var c = p.config
        c.maxBatch = 2
        let small = ExternalProcessReward(label: "ext", config: c, sleep: SleepRecorder().sleep)
        addTeardownBlock { await small.shutdown() }
        let inputs = [input(" Paris ", answer: "paris"), input("the city of Paris", answer: "Paris", metadata: ["partial": 0.25]),
                      input("NYC", answer: "New York", metadata: ["aliases": ["nyc"]]), input("Rome", answer: "Paris"),
                      input("x", line: 5)]
        for reward in [p, small] {  // one call; three calls of ≤ 2 samples over the pool
            let out = await reward.score(inputs)
            XCTAssertEqual(out.map(\.reward), [1, 0.25, 1, 0, 0])
            XCTAssertEqual(out.map(\.correct), [true, false, true, false, false])
            XCTAssertEqual(kinds(out), [nil, nil, nil, nil, .verifierError])
            XCTAssertTrue(out[4].failure!.message.contains("row at line 5"), out[4].failure!.message)
            XCTAssertTrue(out[4].failure!.message.contains("the row has no answer"))
            let counts = await reward.failureCounts()
            XCTAssertEqual(counts[.verifierError], 1)
        }
        let launches = await small.launches
        XCTAssertEqual(launches, 2)  // three concurrent calls on two processes, no restarts
    }

    func testSingleSampleProtocolStillWorks() async throws {
        var c = ExternalProcessConfig(command: ["python3", Paths.example("verifier.py")])
        c.lineProtocol = .single
        let p = ExternalProcessReward(config: c)
        addTeardownBlock { await p.shutdown() }
        let out = await p.score([input("42", answer: 42), input("41", answer: 42)])
        XCTAssertEqual(out.map(\.reward), [1, 0])
        XCTAssertEqual(out.map(\.status), [.ok, .ok])
    }

    func testMathVerifyExampleAgreesWithNumeric() async throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import math_verify"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("math-verify is not installed (make deps installs it)") }

        let p = pool(Paths.example("math_verifier.py"))
        let cases: [(String, JSONValue)] = [("so the answer is \\boxed{\\frac{1}{2}}", "0.5"), ("\\boxed{42}", 42),
                                            ("\\boxed{41}", 42), ("The result: $3/4$", "\\frac{3}{4}"), ("\\boxed{7}", "7")]
        let inputs = cases.map { input($0.0, answer: $0.1) }
        let out = await p.score(inputs)
        XCTAssertEqual(out.map(\.reward), [1, 1, 0, 1, 1])
        XCTAssertEqual(out.map(\.status), Array(repeating: .ok, count: 5))
        // The in-process `numeric` reward agrees with math-verify on these.
        let numeric = NumericReward()
        XCTAssertEqual(try inputs.map { try numeric.score($0) }, out.map(\.reward))
    }

    func testHangTimesOutKillsAndRestarts() async throws {
        let sleeps = SleepRecorder()
        let p = pool(Paths.fixture("hang.py"), timeout: .milliseconds(300), sleep: sleeps.sleep)
        let started = ContinuousClock.now
        let out = await p.score([input("a", answer: "a"), input("b", answer: "b")])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        XCTAssertEqual(kinds(out), [.timeout, .timeout])
        XCTAssertEqual(out.map(\.reward), [0, 0])
        let again = await p.score([input("a", answer: "a")])
        XCTAssertEqual(kinds(again), [.timeout])
        let (counts, launches) = (await p.failureCounts(), await p.launches)
        XCTAssertEqual(counts[.timeout], 2)  // one per call, not per sample
        XCTAssertEqual(launches, 2)
        XCTAssertEqual(sleeps.delays, [.milliseconds(100)])
    }

    func testCrashRestartsWithExponentialBackoff() async throws {
        let sleeps = SleepRecorder()
        let p = pool(Paths.fixture("crash.py"), sleep: sleeps.sleep)
        for _ in 0..<4 {
            let out = await p.score([input("a", answer: "a")])
            XCTAssertEqual(kinds(out), [.crashed])
            XCTAssertTrue(out[0].failure!.message.contains("exited with status 3"), out[0].failure!.message)
        }
        XCTAssertEqual(sleeps.delays, [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        let (counts, launches) = (await p.failureCounts(), await p.launches)
        XCTAssertEqual(counts[.crashed], 4)
        XCTAssertEqual(launches, 4)
    }

    func testGarbageWrongCountAndWrongIDAreTyped() async throws {
        let batch = [input("a", answer: "a"), input("b", answer: "b")]
        for (script, kind) in [("garbage.py", FailureKind.garbage), ("wrong_count.py", .wrongCount), ("bad_id.py", .badID)] {
            let p = pool(Paths.fixture(script))
            let out = await p.score(batch)
            XCTAssertEqual(kinds(out), [kind, kind], script)
            let (counts, launches) = (await p.failureCounts(), await p.launches)
            XCTAssertEqual(counts[kind], 1, script)
            _ = await p.score(batch)
            let relaunched = await p.launches
            XCTAssertEqual(relaunched, launches + 1, "\(script): a protocol violation restarts the program")
        }
    }

    func testUnaskedOutputRestartsTheProgramAndIsCountedOnce() async throws {
        let p = pool(Paths.fixture("chatty.py"))
        let first = await p.score([input("x")])
        XCTAssertEqual(first.map(\.status), [.ok])
        try await Task.sleep(for: .milliseconds(300))  // the stray line arrives and the process is killed
        let second = await p.score([input("x")])
        XCTAssertEqual(second.map(\.status), [.ok])
        let (counts, launches) = (await p.failureCounts(), await p.launches)
        XCTAssertEqual(counts[.garbage], 1)
        XCTAssertEqual(counts.total, 1)
        XCTAssertEqual(launches, 2)
    }

    func testNaNAndInfinityFailOnlyTheirSamples() async throws {
        let p = pool(Paths.fixture("nan.py"))
        let out = await p.score([input("ok"), input("nan"), input("inf"), input("fine")])
        XCTAssertEqual(kinds(out), [nil, .nonFinite, .nonFinite, nil])
        XCTAssertEqual(out.map(\.reward), [1, 0, 0, 1])
        XCTAssertTrue(out.allSatisfy { $0.reward.isFinite })
        let counts = await p.failureCounts()
        XCTAssertEqual(counts[.nonFinite], 2)
    }

    func testRetryOnceRecoversAfterACrash() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("flaky-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: marker) }
        let sleeps = SleepRecorder()
        let p = pool(Paths.fixture("flaky.py"), args: [marker], policy: .retryOnce, sleep: sleeps.sleep)
        let out = await p.score([input("a"), input("b")])
        XCTAssertEqual(out.map(\.reward), [0.5, 0.5])
        guard case let .recovered(first) = out[0].status else { return XCTFail("\(out[0].status)") }
        XCTAssertEqual(first.kind, .crashed)
        XCTAssertEqual(sleeps.delays, [.milliseconds(100)])
        let counts = await p.failureCounts()
        XCTAssertEqual(counts[.crashed], 1)
        // With the zero policy the same crash fails the samples.
        let marker2 = marker + "-2"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: marker2) }
        let zero = pool(Paths.fixture("flaky.py"), args: [marker2], policy: .zero)
        let failed = await zero.score([input("a")])
        XCTAssertEqual(kinds(failed), [.crashed])
    }

    func testLimitsAreAppliedToTheChild() async throws {
        let limits = ProcessLimits(cpuSeconds: 7, addressSpaceBytes: 1 << 30, openFiles: 32, noNewPrivileges: true)
        let p = pool(Paths.fixture("limits_report.py"), limits: limits)
        let out = await p.score((0..<4).map { _ in input("x") })
        XCTAssertEqual(out.map(\.reward), [7, Double(1 << 30), 32, 1])
    }

    func testMemoryHogIsStoppedByAddressSpaceLimit() async throws {
        let p = pool(Paths.fixture("memory_hog.py"), limits: ProcessLimits(addressSpaceBytes: 512 << 20))
        let out = await p.score([input("x")])
        XCTAssertEqual(kinds(out), [.crashed])
        XCTAssertTrue(out[0].failure!.message.contains("exited with status 1"), out[0].failure!.message)  // MemoryError
    }

    func testCPUBurnerIsKilledByCPULimit() async throws {
        let p = pool(Paths.fixture("cpu_burn.py"), timeout: .seconds(20), limits: ProcessLimits(cpuSeconds: 1))
        let started = ContinuousClock.now
        let out = await p.score([input("x")])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
        XCTAssertEqual(kinds(out), [.crashed])
        XCTAssertTrue(out[0].failure!.message.contains("SIGXCPU"), out[0].failure!.message)
    }

    func testEnvOptionGivesTheProgramOnlyItsEnvironment() async throws {
        setenv("TRIBUTARY_TEST_SECRET", "hunter2", 1)
        defer { unsetenv("TRIBUTARY_TEST_SECRET") }
        let spec = try RewardSpec.parseList(#"[{"name": "external", "command": ["python3", "\#(Paths.fixture("env_report.py"))"], "env": {"FOO": "bar"}}]"#)[0]
        let scoped = ExternalProcessReward(config: try spec.externalProcessConfig())
        let inherited = pool(Paths.fixture("env_report.py"))
        let (a, b) = (await scoped.score([input("x")]), await inherited.score([input("x")]))
        await scoped.shutdown()
        XCTAssertEqual(a.map(\.reward), [1])
        XCTAssertEqual(b.map(\.reward), [0])  // sees the secret, lacks FOO
    }

    func testDeathWhileIdleIsCountedAndRestarted() async throws {
        let sleeps = SleepRecorder()
        let p = pool(Paths.fixture("answer_then_exit.py"), sleep: sleeps.sleep)
        let first = await p.score([input("x")])
        XCTAssertEqual(first.map(\.status), [.ok])
        try await Task.sleep(for: .milliseconds(300))  // let it exit
        let second = await p.score([input("x")])
        XCTAssertEqual(second.map(\.status), [.ok])
        let (counts, launches) = (await p.failureCounts(), await p.launches)
        XCTAssertEqual(counts[.crashed], 1)
        XCTAssertEqual(launches, 2)
        XCTAssertEqual(sleeps.delays, [.milliseconds(100)])
    }

    func testProcessNearItsCPULimitIsRecycledNotKilledMidCall() async throws {
        let p = pool(Paths.fixture("cpu_per_call.py"), limits: ProcessLimits(cpuSeconds: 1))
        for _ in 0..<2 {
            let out = await p.score([input("x")])
            XCTAssertEqual(out.map(\.status), [.ok])
        }
        let (recycled, launches, counts) = (await p.recycled, await p.launches, await p.failureCounts())
        XCTAssertEqual(recycled, 1)
        XCTAssertEqual(launches, 2)
        XCTAssertEqual(counts.total, 0)
    }

    func testMissingProgramIsALaunchFailure() async {
        let p = ExternalProcessReward(config: ExternalProcessConfig(command: ["/nonexistent/verifier"]), sleep: SleepRecorder().sleep)
        let out = await p.score([input("x"), input("y")])
        XCTAssertEqual(out.map { $0.failure?.kind }, [.launchFailed, .launchFailed])
        XCTAssertTrue(out[0].failure!.message.contains("/nonexistent/verifier"))
        let counts = await p.failureCounts()
        XCTAssertEqual(counts[.launchFailed], 1)
    }

    func testCompositeWithAnExternalComponent() async throws {
        let specs = try RewardSpec.parseList("""
        [{"name": "external", "label": "judge", "command": ["python3", "\(Paths.example("verifier.py"))"], "weight": 2, "stderr": "discard"},
         {"name": "format", "pattern": "\\\\d+", "weight": 0.5}]
        """)
        let r = try CompositeReward(specs: specs, correct: .atMax("judge"))
        addTeardownBlock { await r.shutdown() }
        XCTAssertFalse(r.isLocal)
        let out = await r.score(batch: [input("42", answer: 42), input("forty-two", answer: 42), input("forty-two", answer: "Forty-Two")])
        XCTAssertEqual(out.map(\.total), [2.5, 0, 2])
        XCTAssertEqual(out.map(\.correct), [true, false, true])
        XCTAssertEqual(out[0].components.map(\.label), ["judge", "format"])
    }
}
