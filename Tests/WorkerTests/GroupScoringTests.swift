// The worker's composite scoring: a group scored by a built-in and a real external process
// from examples/rewards/ (one batch per group), with the row's metadata reaching the
// program; component values on the wire; failures counted by component and kind while the
// group is still scored; and `--verifier` as an external component.

import Foundation
import Rollout
import Rewards
import Tasks
import Wire
import XCTest
@testable import Worker

final class GroupScoringTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let verifier = repo.appendingPathComponent("examples/rewards/verifier.py").path

    private func task(rewards: String) throws -> JSONLTask {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-\(UUID().uuidString).jsonl")
        try """
        {"prompt": "name a fruit: apple, pear, plum, fig", "answer": "apple", "aliases": ["pear"], "partial": 0.25}
        {"prompt": "name a tree: oak, elm, fir, ash", "answer": "oak"}

        """.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        let spec = try TaskSpec(parsing: "jsonl:path=\(url.path),max_new_tokens=12,rewards=\(rewards)")
        return try XCTUnwrap(try spec.makeTask() as? JSONLTask)
    }

    /// The prompt of file row `row` (whichever split it fell in).
    private func prompt(_ task: JSONLTask, row: Int) throws -> Prompt {
        for split in Split.allCases {
            for i in 0 ..< (task.count(of: split) ?? 0) {
                let p = task.prompt(seed: 0, index: i, split: split)
                if p.row == row { return p }
            }
        }
        throw XCTSkip("row \(row) not found")
    }

    private func group(_ task: JSONLTask, _ p: Prompt, _ texts: [String]) throws -> RolloutGroup {
        RolloutGroup(promptIndex: p.index, prompt: p.tokens.map(Int32.init), version: 3, samples: try texts.map { t in
            let toks = try task.tokenizer.encode(t).map(Int32.init) + [Int32(task.tokenizer.end)]
            return ScoredSample(tokens: toks, logProbs: toks.map { _ in -0.5 }, reward: 0, correct: false, finish: .end)
        })
    }

    func testCompositeWithARealExternalProgramScoresAGroup() async throws {
        guard FileManager.default.fileExists(atPath: Self.verifier) else { throw XCTSkip("no examples/rewards/verifier.py") }
        let t = try task(rewards: #"[{"name":"external","command":["python3","\#(Self.verifier)"],"weight":1},{"name":"length","budget":5,"ramp":4,"weight":0.5}]"#)
        let rewards = try XCTUnwrap(t.rewards)
        defer { Task { await rewards.shutdown() } }
        let p = try prompt(t, row: 0)
        // "pear" is an alias from the row's metadata; "a pear tree" contains the answer's alias: partial 0.25 (metadata).
        let g = try group(t, p, ["apple", "pear", "a pear, a plum", "fig"])
        let (scored, failures) = await GroupScoring.score([g], prompts: [p], task: t, rewards: rewards)
        XCTAssertEqual(failures.total, 0, "\(failures.counts)")
        let s = try XCTUnwrap(scored.first)
        XCTAssertEqual(s.components.map { $0[0] }, [1, 1, 0.25, 0], "external: exact, alias, partial credit from metadata, wrong")
        // length: 14 tokens ("a pear, a plum") is past budget 5 + ramp 4 → −1; the others are within budget.
        XCTAssertEqual(s.components.map { $0[1] }, [0, 0, -1, 0])
        XCTAssertEqual(s.rollout.samples.map(\.reward), [1, 1, -0.25, 0], "1·external + 0.5·length: rewards are any finite real")
        XCTAssertEqual(s.rollout.samples.map(\.correct), [true, true, false, false])
        // On the wire and back: labels and per-sample components survive.
        let unit = WorkUnit(leaseId: 5, promptIndex: UInt64(p.index), promptTokens: p.tokens.map(Int32.init), groupSize: 4, temperature: 1,
                            topK: 0, maxCompletionTokens: 12, policyVersion: 3, deadlineUnixMs: 0)
        let wire = try TrajectoryGroup.decode(GroupScoring.wire(s, unit: unit, workerId: 9, labels: rewards.labels).encoded())
        XCTAssertEqual(wire.rewardComponents, ["external", "length"])
        XCTAssertEqual(wire.samples.map(\.components), [[1, 0], [1, 0], [0.25, -1], [0, 0]])
        XCTAssertEqual(wire.rewards, [1, 1, -0.25, 0])
    }

    /// A reward program that cannot start and a row without the metadata a built-in needs:
    /// typed failures counted per component and kind; every sample is still scored (0 for the
    /// failed component) and the others' values stand.
    func testFailuresAreCountedAndTheGroupIsStillScored() async throws {
        let t = try task(rewards: #"[{"name":"external","command":["/nonexistent/reward-program"],"label":"prog"},{"name":"exact","field":"aliases","label":"alias"},{"name":"exact"}]"#)
        let rewards = try XCTUnwrap(t.rewards)
        let p = try prompt(t, row: 1)   // the oak row has no "aliases"
        let (scored, failures) = await GroupScoring.score([try group(t, p, ["oak", "elm"])], prompts: [p], task: t, rewards: rewards)
        XCTAssertEqual(failures.counts["alias"], ["row_error": 2])
        XCTAssertEqual(failures.counts["prog"]?["launch_failed"].map { $0 >= 1 }, true, "\(failures.counts)")
        let s = try XCTUnwrap(scored.first)
        XCTAssertEqual(s.components, [[0, 0, 1], [0, 0, 0]])
        XCTAssertEqual(s.failureCodes.map { Array($0[0 ..< 2]) }, [[3, 1], [3, 1]], "launch_failed = 3, row_error = 1")
        XCTAssertEqual(s.rollout.samples.map(\.reward), [1, 0])
        XCTAssertEqual(s.rollout.samples.map(\.correct), [false, false], "correct = all: failed components are not at max")
        await rewards.shutdown()
    }

    /// `--verifier CMD` is one external component speaking the one-sample lines.
    func testVerifierFlagIsAnExternalComponent() async throws {
        guard FileManager.default.fileExists(atPath: Self.verifier) else { throw XCTSkip("no examples/rewards/verifier.py") }
        let rewards = try GroupScoring.verifierReward(command: ["python3", Self.verifier], timeout: 10)
        XCTAssertEqual(rewards.labels, ["verifier"])
        let task = try TaskSpec(parsing: "reverse:digits=4").makeTask()
        let p = task.prompt(seed: 0, index: 0, split: .train)
        let right = p.answerTokens.map(Int32.init) + [Int32(task.tokenizer.end)]
        let wrong = Array(right.reversed().dropFirst()) + [Int32(task.tokenizer.end)]
        let g = RolloutGroup(promptIndex: 0, prompt: p.tokens.map(Int32.init), version: 0, samples: [right, wrong].map {
            ScoredSample(tokens: $0, logProbs: $0.map { _ in -1 }, reward: 0, correct: false, finish: .end)
        })
        let (scored, failures) = await GroupScoring.score([g], prompts: [p], task: task, rewards: rewards)
        XCTAssertEqual(failures.total, 0)
        XCTAssertEqual(scored[0].rollout.samples.map(\.correct), [true, p.answer == String(p.answer.reversed())])
        XCTAssertEqual(scored[0].rollout.samples[0].reward, 1)
        await rewards.shutdown()
    }
}
