// Composite rewards on the learner: `[task] rewards = […]` and `correct` in TOML (inline
// tables, errors naming the reward, --print-config round trip), and per-component figures
// of accepted groups in /status and /metrics; non-finite component values are refused.

import Foundation
import Rewards
import Tasks
import Wire
import XCTest
@testable import Learner

final class RewardComponentTests: XCTestCase {
    private func taskFile() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("components-\(UUID().uuidString).jsonl")
        try (0..<12).map { #"{"prompt": "\#($0) plus 1", "answer": \#($0 + 1), "level": "easy"}"# }.joined(separator: "\n")
            .write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testTOMLRewardListReachesTheTaskSpec() throws {
        let path = try taskFile()
        var c = LearnerConfig()
        try c.apply(try parseTOML("""
        [task]
        name = "jsonl:path=\(path),max_new_tokens=4"
        rewards = [{name="numeric", weight=0.5},
                   {name="format", pattern="^\\\\d+$", weight=0.5}]
        correct = "numeric"
        [auth]
        worker_tokens = ["t"]
        """), source: "learner.toml")
        let spec = try c.taskSpec()
        XCTAssertEqual(spec.rewardSpecs?.map(\.name), ["numeric", "format"])
        XCTAssertEqual(spec.rewardSpecs?[1].options["pattern"], "^\\d+$")
        XCTAssertEqual(spec.options["correct"], "numeric")
        // --print-config writes it back as TOML that reads to the same configuration.
        XCTAssertTrue(c.toml.contains(#"rewards = [{name = "numeric", weight = 0.5}, {name = "format", pattern = "^\\d+$", weight = 0.5}]"#), c.toml)
        var again = LearnerConfig()
        try again.apply(try parseTOML(c.toml.replacingOccurrences(of: "\"<redacted>\"", with: "\"t\"")), source: "printed")
        XCTAssertEqual(try again.taskSpec(), spec)
    }

    /// The shipped example configuration of the arithmetic chat task.
    func testArithChatExampleConfigLoads() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var c = LearnerConfig()
        try c.load(file: repo.appendingPathComponent("examples/arith-chat.toml"))
        let spec = try c.taskSpec()
        XCTAssertEqual(spec.options["chat"], "true")
        XCTAssertEqual(spec.rewardSpecs?.map(\.name), ["numeric", "format"])
        XCTAssertEqual(spec.rewardSpecs?.map(\.weight), [0.5, 0.5])
        XCTAssertEqual(spec.rewardSpecs?[0].options["from"], "any")
        XCTAssertEqual(spec.rewardSpecs?[1].options["pattern"], "-?\\d+")
        XCTAssertEqual(spec.correctRule, .allAtMax)
    }

    func testBadRewardConfigurationIsRejectedNamingTheReward() throws {
        let path = try taskFile()
        func error(_ rewards: String, correct: String? = nil) -> String {
            var c = LearnerConfig()
            let toml = "[task]\nname = \"jsonl:path=\(path)\"\nrewards = \(rewards)\n" + (correct.map { "correct = \"\($0)\"\n" } ?? "")
            do { try c.apply(try parseTOML(toml), source: "learner.toml"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(error(#"[{name="format", label="digits", pattern="[0-9"}]"#)
            .contains(#"reward digits: pattern "[0-9" is not a usable regular expression"#))
        XCTAssertTrue(error(#"[{name="nope"}]"#).contains(#"unknown reward "nope""#))
        XCTAssertTrue(error(#"[{name="exact"}]"#, correct: "numeric").contains(#"no reward labelled "numeric""#))
        XCTAssertTrue(error(#""exact""#).contains("learner.toml: task.rewards: expected a list of reward tables"))
        XCTAssertTrue(error(#"[{name="exact", weight=inf}]"#).contains("not a finite number"))
    }

    func testStatusAndMetricsShowEachComponent() async throws {
        let path = try taskFile()
        let node = try await openTestNode("components") { c in
            c.task = "jsonl:path=\(path),max_new_tokens=4"
            c.rewards = #"[{"name":"numeric","weight":0.5},{"name":"format","pattern":"\\d+","weight":0.5}]"#
            c.groupSize = 2
        }
        XCTAssertTrue(node.task.spec.canonical.contains("rewards=[{\"name\":\"numeric\""), "Welcome carries the rewards in the spec")
        let ep = LocalEndpoint(node: node)
        let welcome = try await ep.register(RegisterRequest(workerName: "t", softwareVersion: "test"))
        XCTAssertEqual(welcome.taskSpec, node.task.spec.canonical)
        let grant = try await ep.lease(LeaseRequest(workerId: welcome.workerId, maxPrompts: 2, currentVersion: 0))
        XCTAssertEqual(grant.units.count, 2)
        func group(_ u: WorkUnit, _ values: [[Float]], failures: [[UInt8]] = []) -> TrajectoryGroup {
            TrajectoryGroup(leaseId: u.leaseId, promptIndex: u.promptIndex, promptTokens: u.promptTokens, policyVersion: 0,
                            workerId: welcome.workerId, samples: values.enumerated().map { i, v in
                                Sample(tokens: [1, 2], logProbs: [-0.5, -0.5], reward: v.allSatisfy(\.isFinite) ? 0.5 * (v[0] + v[1]) : 0, correct: v == [1, 1],
                                       finishReason: .end, components: v, componentFailures: failures.isEmpty ? [] : failures[i])
                            }, rewardComponents: ["numeric", "format"])
        }
        let nan = try await ep.submit([group(grant.units[0], [[1, .nan], [0, 0]])])
        guard case .rejected(.nonFiniteValue, let why) = nan[0].outcome else { return XCTFail("\(nan[0].outcome)") }
        XCTAssertTrue(why.contains(#"reward component "format""#), why)
        let acks = try await ep.submit([group(grant.units[0], [[1, 1], [0, 1]]),
                                        group(grant.units[1], [[1, 0], [0, 0]], failures: [[0, 1], [0, 4]])])
        XCTAssertEqual(acks.map(\.outcome), [.accepted, .accepted])
        let status = StatusService(node: node)
        let report = await status.report()
        let comps = try XCTUnwrap(report.rewardComponents)
        XCTAssertEqual(comps.map(\.component), ["numeric", "format"])
        XCTAssertEqual(comps.map(\.mean), [0.5, 0.5])
        XCTAssertEqual(comps.map(\.samples), [4, 4])
        XCTAssertEqual(comps[1].failures, ["row_error": 1, "timeout": 1])
        XCTAssertEqual(comps[1].failureRate, 0.5)
        XCTAssertNil(comps[0].recentMean, "no training step yet")
        // The training loop takes the window once per step (metrics.jsonl and the history).
        XCTAssertEqual(node.ingest.rewards.takeWindow(), ["numeric": 0.5, "format": 0.5])
        XCTAssertEqual(node.ingest.rewards.takeWindow(), [:], "nothing accepted since")
        let json = String(decoding: try JSONEncoder().encode(await status.report()), as: UTF8.self)
        XCTAssertTrue(json.contains(#""component":"numeric""#), json)
        let metrics = await status.metricsText()
        XCTAssertTrue(metrics.contains(#"tributary_reward_component_mean{component="numeric"} 0.5"#), metrics)
        XCTAssertTrue(metrics.contains(#"tributary_reward_component_recent_mean{component="format"} 0.5"#), metrics)
        let failureLines = metrics.split(separator: "\n").filter { $0.hasPrefix("tributary_reward_failures_total{") }
        XCTAssertEqual(failureLines.count, 2, metrics)
        XCTAssertTrue(failureLines.contains { $0.contains(#"component="format""#) && $0.contains(#"kind="timeout""#) && $0.hasSuffix(" 1.0") }, metrics)
        await node.ingest.shutdown()
    }
}
