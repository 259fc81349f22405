// A task's composite reward: the `rewards=[…]` and `correct=…` options of a jsonl spec are
// read, checked (unknown names, bad options, regular expressions that do not compile, a
// `correct` rule naming no component) and normalised here, and turned into the
// `CompositeReward` that scores every sample in the worker (docs/rewards.md).

import Foundation
import Rewards

extension TaskSpec {
    /// The reward list of the spec (`rewards=[…]`), or nil when the task scores with its own verifier.
    package var rewardSpecs: [RewardSpec]? {
        guard let text = options["rewards"] else { return nil }
        return try? RewardSpec.parseList(text)   // validated when the spec was made
    }

    /// The `correct` rule (`correct=…`; default `all`).
    package var correctRule: CorrectRule {
        options["correct"].flatMap { try? CorrectRule(parsing: $0) } ?? .allAtMax
    }

    /// The spec with `rewards` and `correct` set (nil leaves an option as it is). The learner's
    /// TOML `[task] rewards = […]` and `correct = "…"` reach the spec this way.
    package func with(rewards: String?, correct: String?) throws -> TaskSpec {
        var o = options
        if let rewards {
            guard o["rewards"] == nil else { throw TaskSpecError.duplicateOption(task: name, option: "rewards") }
            o["rewards"] = rewards
        }
        if let correct {
            guard o["correct"] == nil else { throw TaskSpecError.duplicateOption(task: name, option: "correct") }
            o["correct"] = correct
        }
        return try TaskSpec(name: name, options: o)
    }

    /// Builds the composite reward the spec names (external components start their processes
    /// on first use), or nil when it names none.
    package func makeRewards() throws -> CompositeReward? {
        guard let text = options["rewards"] else { return nil }
        do {
            return try CompositeReward(specs: try RewardSpec.parseList(text), correct: correctRule)
        } catch {
            throw TaskSpecError.badRewards(task: name, reason: error.description)
        }
    }

    /// Checks a `rewards` value and returns its normal form (compact JSON, keys in their order).
    static func normaliseRewards(_ raw: String, task: String) throws -> String {
        do {
            let specs = try RewardSpec.parseList(raw)
            for s in specs {
                switch s.name {
                case "external": _ = try s.externalProcessConfig()
                case "http": _ = try s.httpConfig()
                default: _ = try s.makeFunction()
                }
            }
            return try Rewards.JSONValue.parse(raw).serialized()
        } catch let e as RewardSpecError {
            throw TaskSpecError.badRewards(task: task, reason: e.description)
        } catch {
            throw TaskSpecError.badRewards(task: task, reason: "\(error)")
        }
    }

    /// Checks a `correct` value against the reward list and returns its normal form.
    static func normaliseCorrect(_ raw: String, rewards: String?, task: String) throws -> String {
        guard let rewards else {
            throw TaskSpecError.badRewards(task: task, reason: "correct=\(raw) needs a rewards=[…] list")
        }
        do {
            let rule = try CorrectRule(parsing: raw)
            let labels = try RewardSpec.parseList(rewards).map(\.label)
            switch rule {
            case let .atMax(l), let .atLeast(l, _):
                guard labels.contains(l) else {
                    throw RewardSpecError.badCorrectRule(raw, reason: "no reward labelled \"\(l)\" (have: \(labels.joined(separator: ", ")))")
                }
            default: break
            }
            return rule.description
        } catch let e as RewardSpecError {
            throw TaskSpecError.badRewards(task: task, reason: e.description)
        }
    }
}

extension CompositeReward {
    /// Scores one sample and waits for it. Local composites score on the calling thread;
    /// one with external components runs them on the cooperative pool and blocks this thread
    /// until they answer — call it only from threads of one's own (a sampler or evaluation
    /// thread), never from a cooperative one.
    package func scoreWaiting(_ input: RewardInput) -> Rewards.CompositeScore {
        if isLocal { return score(input) }
        let sem = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Task.detached { [self] in
            box.value = await score(batch: [input]).first
            sem.signal()
        }
        sem.wait()
        return box.value ?? score(input)
    }
}

/// Carries a result from a detached task to the thread waiting on its semaphore.
private final class ResultBox: @unchecked Sendable {
    var value: Rewards.CompositeScore?
}
