// External verifier plug-ins: a real child process speaking JSON lines, including the
// failure modes (hang, crash, garbage) that must never hang the worker.
import XCTest
import Foundation
@testable import Worker

final class ExternalVerifierTests: XCTestCase {
    /// Writes a Python verifier whose behaviour depends on the completion text.
    private func script() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verifier-\(UUID().uuidString).py").path
        let source = """
        import json, sys, time, os
        for line in sys.stdin:
            req = json.loads(line)
            c = req["completion"]
            if c == "hang":
                time.sleep(60)
            if c == "crash":
                os._exit(3)
            if c == "garbage":
                print("not json", flush=True)
                continue
            if c in ("scaled", "huge"):
                print(json.dumps({"id": req["id"], "reward": -2.5 if c == "scaled" else 1e300, "correct": False}), flush=True)
                continue
            ok = c == req["answer"]
            print(json.dumps({"id": req["id"], "reward": 1.0 if ok else 0.25, "correct": ok}), flush=True)
        """
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testScoresAndMultiplexesConcurrentCalls() async throws {
        let v = ExternalVerifier(command: ["python3", try script()], timeout: 10, maxConcurrent: 4)
        let right = try await v.verify(prompt: "123", answer: "321", completion: "321")
        XCTAssertEqual(right.reward, 1)
        XCTAssertTrue(right.correct)
        try await withThrowingTaskGroup(of: Float.self) { g in
            for i in 0..<20 { g.addTask { try await v.verify(prompt: "p", answer: "a\(i)", completion: i % 2 == 0 ? "a\(i)" : "x").reward } }
            var total: Float = 0
            for try await r in g { total += r }
            XCTAssertEqual(total, 10 * 1 + 10 * 0.25, accuracy: 1e-6)
        }
        let launches = await v.launches
        XCTAssertEqual(launches, 1)
        await v.shutdown()
    }

    func testHungVerifierTimesOutAndIsRestarted() async throws {
        let v = ExternalVerifier(command: ["python3", try script()], timeout: 0.5, maxConcurrent: 2)
        do {
            _ = try await v.verify(prompt: "p", answer: "a", completion: "hang")
            XCTFail("expected a timeout")
        } catch let e as ExternalVerifierError {
            XCTAssertEqual(e, .timeout(seconds: 0.5))
        }
        let ok = try await v.verify(prompt: "p", answer: "a", completion: "a")
        XCTAssertTrue(ok.correct)
        let launches = await v.launches
        XCTAssertEqual(launches, 2)
        await v.shutdown()
    }

    func testCrashingVerifierFailsTheCallAndRestarts() async throws {
        let v = ExternalVerifier(command: ["python3", try script()], timeout: 10)
        do {
            _ = try await v.verify(prompt: "p", answer: "a", completion: "crash")
            XCTFail("expected an exit error")
        } catch let e as ExternalVerifierError {
            XCTAssertEqual(e, .exited(status: 3))
        }
        let ok = try await v.verify(prompt: "p", answer: "a", completion: "a")
        XCTAssertTrue(ok.correct)
        await v.shutdown()
    }

    func testGarbageResponseIsATypedError() async throws {
        let v = ExternalVerifier(command: ["python3", try script()], timeout: 10)
        do {
            _ = try await v.verify(prompt: "p", answer: "a", completion: "garbage")
            XCTFail("expected a bad response")
        } catch let e as ExternalVerifierError {
            guard case .badResponse(let s) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(s.contains("not json"))
        }
        await v.shutdown()
    }

    /// Rewards are any finite real (not only [0, 1]); one that is not finite as f32 is refused.
    func testAnyFiniteRewardIsAccepted() async throws {
        let v = ExternalVerifier(command: ["python3", try script()], timeout: 10)
        let scaled = try await v.verify(prompt: "p", answer: "a", completion: "scaled")
        XCTAssertEqual(scaled.reward, -2.5)
        do {
            _ = try await v.verify(prompt: "p", answer: "a", completion: "huge")
            XCTFail("1e300 is not a finite f32")
        } catch let e as ExternalVerifierError {
            guard case .badResponse(let s) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(s.contains("finite"), s)
        }
        await v.shutdown()
    }

    func testMissingProgramIsALaunchError() async {
        let v = ExternalVerifier(command: ["/nonexistent/verifier"], timeout: 1)
        do {
            _ = try await v.verify(prompt: "p", answer: "a", completion: "a")
            XCTFail("expected a launch failure")
        } catch let e as ExternalVerifierError {
            guard case .launchFailed = e else { return XCTFail("\(e)") }
        } catch { XCTFail("\(error)") }
    }
}
