// Tasks with a composite reward: the `rewards=[…]` / `correct=…` spec options (parsing,
// canonical form, errors naming the reward), rows whose metadata reaches the reward
// functions, and the shipped arithmetic task scored as docs/rewards.md says.

import Foundation
import Rewards
import XCTest
@testable import Tasks

final class RewardTaskTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let arith = repo.appendingPathComponent("examples/tasks/arith-chat.jsonl").path
    static let arithRewards = #"[{"name":"numeric","from":"any","weight":0.5},{"name":"format","pattern":"-?\\d+","weight":0.5}]"#

    private func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rewards-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testRewardsOptionParsesWithCommasAndRoundTrips() throws {
        let spec = try TaskSpec(parsing: "jsonl:path=/d.jsonl, rewards = [ {\"name\": \"numeric\", \"weight\": 0.5},"
                                + " {\"name\": \"format\", \"pattern\": \"^[0-9,]+$\", \"weight\": 0.5} ], correct=numeric>=1")
        XCTAssertEqual(spec.options["rewards"], #"[{"name":"numeric","weight":0.5},{"name":"format","pattern":"^[0-9,]+$","weight":0.5}]"#)
        XCTAssertEqual(spec.options["correct"], "numeric>=1.0")
        XCTAssertEqual(try TaskSpec(parsing: spec.canonical), spec)
        XCTAssertEqual(spec.rewardSpecs?.map(\.label), ["numeric", "format"])
        XCTAssertEqual(spec.correctRule, .atLeast("numeric", 1))
        // `correct=all` is the default and is dropped; the spec without rewards has none.
        XCTAssertNil(try TaskSpec(parsing: "jsonl:path=/d.jsonl,rewards=[{\"name\":\"exact\"}],correct=all").options["correct"])
        XCTAssertNil(try TaskSpec(parsing: "jsonl:path=/d.jsonl").rewardSpecs)
        // TOML's list reaches the spec through `with`.
        let merged = try TaskSpec(parsing: "jsonl:path=/d.jsonl").with(rewards: Self.arithRewards, correct: "all")
        XCTAssertEqual(merged.rewardSpecs?.count, 2)
        XCTAssertThrowsError(try merged.with(rewards: Self.arithRewards, correct: nil)) {
            XCTAssertEqual($0 as? TaskSpecError, .duplicateOption(task: "jsonl", option: "rewards"))
        }
    }

    func testBadRewardListsAreRejectedNamingTheReward() {
        func message(_ spec: String) -> String {
            do { _ = try TaskSpec(parsing: spec); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(#"jsonl:path=/d,rewards=[{"name":"nope"}]"#).contains(#"unknown reward "nope""#))
        XCTAssertTrue(message(#"jsonl:path=/d,rewards=[{"name":"format","label":"digits","pattern":"[0-9"}]"#)
            .contains(#"reward digits: pattern "[0-9" is not a usable regular expression"#), message(#"jsonl:path=/d,rewards=[{"name":"format","label":"digits","pattern":"[0-9"}]"#))
        XCTAssertTrue(message(#"jsonl:path=/d,rewards=[{"name":"exact","tirm":true}]"#).contains(#"unknown option "tirm""#))
        XCTAssertTrue(message(#"jsonl:path=/d,rewards=[{"name":"exact"}],correct=numeric"#).contains(#"no reward labelled "numeric""#))
        XCTAssertTrue(message(#"jsonl:path=/d,correct=exact"#).contains("needs a rewards=[…] list"))
        XCTAssertTrue(message(#"jsonl:path=/d,rewards=[{"name":"exact"}"#).contains("unbalanced"))
        XCTAssertTrue(message(#"reverse:rewards=[{"name":"exact"}]"#).contains("has no option"))
    }

    /// Every field besides prompt and answer reaches the reward functions; a row that lacks
    /// the field a reward reads is a typed `row_error` naming the row and the reward.
    func testRowMetadataReachesTheRewards() throws {
        let path = try file("""
        {"prompt": "0123456789 first", "answer": 3, "alt": "8", "tags": ["x"]}
        {"prompt": "0123456789 second", "answer": {"n": 4}}
        {"prompt": "0123456789 third", "answer": "5", "alt": "9"}

        """)
        let spec = try TaskSpec(parsing: "jsonl:path=\(path),max_new_tokens=4,rewards=[{\"name\":\"exact\",\"field\":\"alt\"},"
                                + "{\"name\":\"numeric\",\"weight\":2}]")
        let task = try XCTUnwrap(try spec.makeTask() as? JSONLTask)
        XCTAssertEqual(task.spec, spec, "the task records its rewards in its spec (workers get it in Welcome)")
        XCTAssertEqual(task.rows[0].metadata, ["alt": "8", "tags": ["x"]])
        XCTAssertEqual(task.rows[1].answer, .object(["n": 4]))
        XCTAssertEqual(task.examples.map(\.answer), ["3", #"{"n":4}"#, "5"])
        let rewards = try XCTUnwrap(task.rewards)
        // Find each row through the prompts of both splits.
        var byRow: [Int: Prompt] = [:]
        for split in Split.allCases {
            for i in 0 ..< (task.count(of: split) ?? 0) { let p = task.prompt(seed: 1, index: i, split: split); byRow[p.row!] = p }
        }
        XCTAssertEqual(byRow.count, 3)
        let first = try XCTUnwrap(byRow[0])
        let eight = try task.tokenizer.encode("8") + [task.tokenizer.end]
        let input = task.rewardInput(prompt: first, completion: eight)
        XCTAssertEqual(input.completion, "8")
        XCTAssertEqual(input.completionTokens, 1)
        XCTAssertEqual(input.row.metadata["alt"], "8")
        let s = rewards.score(input)
        XCTAssertEqual(s.components.map(\.value), [1, 0])
        XCTAssertEqual(task.verify(prompt: first, completion: eight), Verdict(reward: 1, correct: false))
        let three = try task.tokenizer.encode("3") + [task.tokenizer.end]
        XCTAssertEqual(task.verify(prompt: first, completion: three), Verdict(reward: 2, correct: false), "numeric weighs 2: rewards leave [0, 1]")
        // Row 2 has no "alt": exact fails with a row_error naming row and reward; numeric cannot read {"n":4}.
        let second = rewards.score(task.rewardInput(prompt: try XCTUnwrap(byRow[1]), completion: three))
        XCTAssertEqual(second.failures.map(\.kind), [.rowError, .rowError])
        XCTAssertTrue(second.failures[0].message.contains(#"reward exact: row at line 2 has no "alt""#), second.failures[0].message)
        XCTAssertEqual(second.total, 0)
    }

    /// The shipped arithmetic task as docs/rewards.md configures it: the right number anywhere
    /// earns 0.5, a completion that is only a number another 0.5, correct = both.
    func testArithChatTaskScoresAsDocumented() throws {
        let spec = try TaskSpec(parsing: "jsonl:path=\(Self.arith),max_new_tokens=16,rewards=\(Self.arithRewards),correct=all")
        let task = try spec.makeTask()
        let p = task.prompt(seed: 0, index: 0, split: .eval)
        let answer = p.answer
        func verdict(_ text: String) throws -> Verdict {
            task.verify(prompt: p, completion: try task.tokenizer.encode(text) + [task.tokenizer.end])
        }
        XCTAssertEqual(try verdict(answer), Verdict(reward: 1, correct: true))
        XCTAssertEqual(try verdict(" \(answer) "), Verdict(reward: 1, correct: true), "format trims")
        XCTAssertEqual(try verdict("\(answer)\(answer)"), Verdict(reward: 0.5, correct: false), "a number, but the wrong one")
        let sentence = "What is \(answer)"   // characters of the prompts only (character vocabulary)
        XCTAssertEqual(try verdict(sentence), Verdict(reward: 0.5, correct: false), "the right number inside a sentence")
        XCTAssertEqual(try verdict("What"), Verdict(reward: 0, correct: false))
    }
}
