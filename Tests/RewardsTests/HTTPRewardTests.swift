// The reward-server option over loopback: a Python http.server script scores batches, fails
// on purpose (500, 503 once, a slow answer, a body that is not JSON), or is not there at all.
import Foundation
import XCTest
@testable import Rewards

final class HTTPRewardTests: XCTestCase {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var server: (process: Process, port: Int)?

    /// One server for the whole class (started on first use, stopped by `tearDown` of the class).
    private func port() throws -> Int {
        try Self.lock.withLock {
            if let s = Self.server { return s.port }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", Paths.fixture("reward_server.py")]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            var line = Data()
            while !line.contains(0x0A) {
                let chunk = out.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw XCTSkip("the reward server did not start") }
                line += chunk
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw XCTSkip("the reward server printed no port")
            }
            Self.server = (p, port)
            return port
        }
    }

    override class func tearDown() {
        lock.withLock {
            // SIGKILL: a child of a Swift process may start with SIGTERM blocked.
            if let p = server?.process { kill(p.processIdentifier, SIGKILL) }
            server?.process.waitUntilExit()
            server = nil
        }
        super.tearDown()
    }

    private func reward(_ path: String, timeout: Duration = .seconds(10), retries: Int = 0, policy: FailurePolicy = .zero,
                        sleeps: SleepRecorder = SleepRecorder()) throws -> HTTPReward {
        var c = HTTPRewardConfig(url: "http://127.0.0.1:\(try port())\(path)")
        c.timeout = timeout
        c.retries = retries
        c.policy = policy
        let r = HTTPReward(label: "server", config: c, sleep: sleeps.sleep)
        addTeardownBlock { await r.shutdown() }
        return r
    }

    private let batch = [input("a", answer: "a"), input("b", answer: "c"), input("d", answer: "d")]

    func testScoresABatch() async throws {
        let r = try reward("/ok")
        let out = await r.score(batch)
        XCTAssertEqual(out.map(\.reward), [1, 0, 1])
        XCTAssertEqual(out.map(\.correct), [true, false, true])
        XCTAssertEqual(out.map(\.status), [.ok, .ok, .ok])
        let (counts, requests) = (await r.failureCounts(), await r.requests)
        XCTAssertEqual(counts.total, 0)
        XCTAssertEqual(requests, 1)
    }

    func testServerErrorsAreRetriedThenCounted() async throws {
        let sleeps = SleepRecorder()
        let r = try reward("/error", retries: 2, sleeps: sleeps)
        let out = await r.score(batch)
        XCTAssertEqual(out.map { $0.failure?.kind }, [.httpStatus, .httpStatus, .httpStatus])
        XCTAssertTrue(out[0].failure!.message.contains("HTTP 500"), out[0].failure!.message)
        let (counts, requests) = (await r.failureCounts(), await r.requests)
        XCTAssertEqual(counts[.httpStatus], 3)  // every try counted
        XCTAssertEqual(requests, 3)
        XCTAssertEqual(sleeps.delays, [.milliseconds(100), .milliseconds(200)])
    }

    func testAFlakyServerSucceedsOnRetry() async throws {
        let r = try reward("/flaky", retries: 1)
        let out = await r.score(batch)
        XCTAssertEqual(out.map(\.reward), [1, 0, 1])
        XCTAssertEqual(out.map { $0.failure }, [nil, nil, nil])
        let (counts, requests) = (await r.failureCounts(), await r.requests)
        XCTAssertEqual(counts[.httpStatus], 1)  // the 503, retried
        XCTAssertEqual(requests, 2)
    }

    func testSlowServerTimesOut() async throws {
        let r = try reward("/slow", timeout: .milliseconds(500))
        let started = ContinuousClock.now
        let out = await r.score(batch)
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(4))
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(450))
        XCTAssertEqual(out.map { $0.failure?.kind }, [.timeout, .timeout, .timeout])
    }

    func testGarbageBodyIsTyped() async throws {
        let r = try reward("/garbage")
        let out = await r.score(batch)
        XCTAssertEqual(out.map { $0.failure?.kind }, [.garbage, .garbage, .garbage])
    }

    func testServerDownIsUnreachable() async throws {
        // Port 1 on loopback: nothing listens there.
        var c = HTTPRewardConfig(url: "http://127.0.0.1:1/score")
        c.retries = 1
        let sleeps = SleepRecorder()
        let r = HTTPReward(config: c, sleep: sleeps.sleep)
        let out = await r.score(batch)
        XCTAssertEqual(out.map { $0.failure?.kind }, [.unreachable, .unreachable, .unreachable])
        let counts = await r.failureCounts()
        XCTAssertEqual(counts[.unreachable], 2)
        XCTAssertEqual(sleeps.delays, [.milliseconds(100)])
        await r.shutdown()
    }
}
