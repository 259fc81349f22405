// Reward configuration: the registry builds each built-in from a JSON object, and every kind
// of bad entry is a typed error naming the reward.
import Foundation
import XCTest
@testable import Rewards

final class RewardSpecTests: XCTestCase {
    private func specError(_ json: String) -> RewardSpecError? {
        do {
            for s in try RewardSpec.parseList(json) { _ = try s.makeFunction() }
            return nil
        } catch { return error }
    }

    func testBuildsEachBuiltinFromJSON() throws {
        let specs = try RewardSpec.parseList(#"""
        [{"name": "numeric", "weight": 1.0, "from": "gsm8k", "rel_tol": 0.01},
         {"name": "format", "pattern": "^\\d+$", "weight": 0.5},
         {"name": "exact", "label": "exact-ci", "ignore_case": true, "trim": false, "field": "alias"},
         {"name": "regex", "pattern": "A: (\\w+)", "group": 1},
         {"name": "length", "budget": 64, "ramp": 32, "max_penalty": 0.25, "weight": 2}]
        """#)
        XCTAssertEqual(specs.map(\.label), ["numeric", "format", "exact-ci", "regex", "length"])
        XCTAssertEqual(specs.map(\.weight), [1, 0.5, 1, 1, 2])
        let numeric = try XCTUnwrap(try specs[0].makeFunction() as? NumericReward)
        XCTAssertEqual(numeric.source, .gsm8k)
        XCTAssertEqual(numeric.relativeTolerance, 0.01)
        XCTAssertEqual((try specs[1].makeFunction() as? FormatReward)?.pattern, "^\\d+$")
        let exact = try XCTUnwrap(try specs[2].makeFunction() as? ExactReward)
        XCTAssertEqual([exact.ignoreCase, exact.trim], [true, false])
        XCTAssertEqual(exact.field, "alias")
        XCTAssertEqual((try specs[3].makeFunction() as? RegexReward)?.group, .index(1))
        let length = try XCTUnwrap(try specs[4].makeFunction() as? LengthReward)
        XCTAssertEqual([length.budget, length.ramp], [64, 32])
        XCTAssertEqual(length.maxPenalty, 0.25)
    }

    func testDecodableThroughJSONDecoder() throws {
        let specs = try JSONDecoder().decode([RewardSpec].self, from: Data(#"[{"name":"format","pattern":"x","weight":0.5}]"#.utf8))
        XCTAssertEqual(specs, [RewardSpec(name: "format", weight: 0.5, options: ["pattern": "x"])])
    }

    func testTypedErrors() {
        XCTAssertEqual(specError(#"[{"name": "nmeric"}]"#), .unknownName("nmeric", index: 0, known: RewardSpec.knownNames))
        XCTAssertEqual(specError(#"[{"weight": 1}]"#), .missingName(index: 0))
        XCTAssertEqual(specError(#"[{"name": "exact"}, 3]"#), .notAnObject(index: 1, found: "an integer"))
        XCTAssertEqual(specError("[]"), .empty)
        XCTAssertEqual(specError(#"{"name": "exact"}"#), .notAList(found: "an object"))
        XCTAssertEqual(specError(#"[{"name": "exact", "trimm": true}]"#),
                       .unknownOption(reward: "exact", option: "trimm", allowed: ["trim", "ignore_case", "field"]))
        XCTAssertEqual(specError(#"[{"name": "format"}]"#), .missingOption(reward: "format", option: "pattern"))
        XCTAssertEqual(specError(#"[{"name": "numeric", "from": "first"}]"#),
                       .badOption(reward: "numeric", option: "from", expected: "one of last, any, gsm8k, boxed, auto", found: "\"first\""))
        XCTAssertEqual(specError(#"[{"name": "numeric", "rel_tol": -1}]"#),
                       .badOption(reward: "numeric", option: "rel_tol", expected: "a number ≥ 0.0", found: "-1"))
        XCTAssertEqual(specError(#"[{"name": "exact", "weight": "heavy"}]"#),
                       .badOption(reward: "exact", option: "weight", expected: "a finite number", found: "\"heavy\""))
        XCTAssertEqual(specError(#"[{"name": "length"}]"#), .missingOption(reward: "length", option: "budget"))
        guard case let .badRegex(reward, pattern, reason)? = specError(#"[{"name": "format", "label": "digits", "pattern": "[0-9"}]"#) else {
            return XCTFail("expected badRegex")
        }
        XCTAssertEqual(reward, "digits")
        XCTAssertEqual(pattern, "[0-9")
        XCTAssertFalse(reason.isEmpty)
        XCTAssertTrue(RewardSpecError.badRegex(reward: "digits", pattern: "[0-9", reason: reason).description
            .hasPrefix("reward digits: pattern \"[0-9\" is not a usable regular expression"))
        guard case .invalidJSON? = specError("[{") else { return XCTFail("expected invalidJSON") }
    }

    func testExternalAndHTTPOptions() throws {
        let specs = try RewardSpec.parseList(#"""
        [{"name": "external", "command": ["python3", "v.py"], "processes": 3, "batch": 8, "timeout": 2.5,
          "cpu_seconds": 5, "memory_mb": 512, "open_files": 0, "policy": "retry_once", "protocol": "single",
          "backoff": 0.2, "backoff_max": 4, "stderr": "discard"},
         {"name": "http", "url": "http://127.0.0.1:9/score", "retries": 1, "timeout": 1, "headers": {"X-Key": "k"}}]
        """#)
        let e = try specs[0].externalProcessConfig()
        XCTAssertEqual(e.command, ["python3", "v.py"])
        XCTAssertEqual([e.processes, e.maxBatch], [3, 8])
        XCTAssertEqual(e.timeout, .milliseconds(2500))
        XCTAssertEqual(e.limits, ProcessLimits(cpuSeconds: 5, addressSpaceBytes: 512 << 20, openFiles: nil, noNewPrivileges: true))
        XCTAssertEqual(e.policy, .retryOnce)
        XCTAssertEqual(e.lineProtocol, .single)
        XCTAssertEqual(e.backoff, Backoff(initial: .milliseconds(200), maximum: .seconds(4)))
        XCTAssertTrue(e.discardStderr)
        let h = try specs[1].httpConfig()
        XCTAssertEqual(h.url, "http://127.0.0.1:9/score")
        XCTAssertEqual(h.retries, 1)
        XCTAssertEqual(h.headers, ["X-Key": "k"])
        XCTAssertNil(try specs[0].makeFunction())
        XCTAssertThrowsError(try RewardSpec(name: "external").externalProcessConfig()) { e in
            XCTAssertEqual(e as? RewardSpecError, .missingOption(reward: "external", option: "command"))
        }
        XCTAssertThrowsError(try RewardSpec(name: "http", options: ["url": "ftp://x"]).httpConfig())
    }

    func testBackoffDoublesUpToTheCap() {
        let b = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        XCTAssertEqual((0...6).map { b.delay(afterFailures: $0) },
                       [.zero, .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }
}
