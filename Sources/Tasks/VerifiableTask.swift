// The task contract: what a worker needs to turn a prompt index into tokens,
// what supervised pretraining needs (demonstrations), and the verifier that
// scores a sampled completion. Concrete tasks: DigitStringTask, AdditionTask, JSONLTask.
// A jsonl task may name a composite reward (`rewards=[…]`); then its rows (with metadata)
// reach the reward functions through `rewardInput`.

import Rewards

/// Which side of the train / held-out partition a prompt comes from.
/// The two sets of problems never overlap (see `HeldOut`).
package enum Split: String, Sendable, Codable, CaseIterable {
    case train
    case eval
}

/// One problem instance.
package struct Prompt: Sendable, Hashable, Codable {
    /// The index it was generated from (within its split).
    package var index: Int
    package var split: Split
    /// The question text (no special tokens).
    package var question: String
    /// The reference answer text.
    package var answer: String
    /// `begin + question + separator`: what the policy is conditioned on.
    package var tokens: [TokenID]
    /// The reference answer as tokens (no end token).
    package var answerTokens: [TokenID]
    /// For file tasks, the 0-based row of the file it came from (its metadata feeds the rewards).
    package var row: Int?

    package init(index: Int, split: Split, question: String, answer: String, tokens: [TokenID], answerTokens: [TokenID],
                row: Int? = nil) {
        self.index = index
        self.split = split
        self.question = question
        self.answer = answer
        self.tokens = tokens
        self.answerTokens = answerTokens
        self.row = row
    }
}

/// The verifier's judgement of one completion.
package struct Verdict: Sendable, Hashable, Codable {
    /// The task's own verifier: in [0, 1], 1 if correct, else 0 or the partial credit (see
    /// `Verifier`). A composite reward (`rewards=[…]`): its weighted total, any finite real.
    package var reward: Float
    /// Exact match of the answer.
    package var correct: Bool

    package init(reward: Float, correct: Bool) {
        self.reward = reward
        self.correct = correct
    }
}

/// A task with a verifiable reward.
///
/// Every prompt is a pure function of `(seed, index, split)`, so the learner can
/// hand out indices and any worker rebuilds the same prompt.
package protocol VerifiableTask: Sendable {
    /// The vocabulary the task's prompts and answers are written in.
    associatedtype Vocabulary: TaskTokenizer
    /// The task's registry name (`reverse`, `add`, …).
    var name: String { get }
    /// The spec that builds this task; record it in configs and checkpoints.
    var spec: TaskSpec { get }
    var tokenizer: Vocabulary { get }
    /// Longest prompt, begin and separator included.
    var maxPromptTokens: Int { get }
    /// Completion limit for the sampler, end token included.
    var maxCompletionTokens: Int { get }
    /// Whether `verify` gives partial credit to wrong answers.
    var partialCredit: Bool { get }
    /// Number of distinct prompts in a split, or nil when it is too large to matter
    /// (generated tasks sample with replacement; a file task cycles through its lines).
    func count(of split: Split) -> Int?
    /// The prompt for `(seed, index, split)`. Deterministic; train and eval prompts never share a question.
    func prompt(seed: UInt64, index: Int, split: Split) -> Prompt
    /// Scores a sampled completion. The default compares tokens (`Verifier.judge`); a task whose
    /// vocabulary can spell one text several ways (BPE) compares decoded text instead.
    func verify(prompt: Prompt, completion: [TokenID]) -> Verdict
    /// The composite reward the spec names (`rewards=[…]`), or nil: `verify` alone scores.
    var rewards: CompositeReward? { get }
    /// What reward functions see of a completion of `prompt`: its decoded text (cut at `end`),
    /// its token count and the row (prompt, answer, metadata).
    func rewardInput(prompt: Prompt, completion: [TokenID]) -> RewardInput
}

extension VerifiableTask {
    /// The correct completion for supervised pretraining: answer tokens then `end`.
    package func demonstration(for prompt: Prompt) -> [TokenID] {
        prompt.answerTokens + [tokenizer.end]
    }

    /// Scores a sampled completion (see `Verifier.judge`).
    package func verify(prompt: Prompt, completion: [TokenID]) -> Verdict {
        Verifier.judge(answer: prompt.answerTokens, completion: completion,
                       end: tokenizer.end, partialCredit: partialCredit)
    }

    /// No composite reward unless the task says so.
    package var rewards: CompositeReward? { nil }

    /// The question as a text prompt and the answer as a string; no metadata.
    package func rewardInput(prompt: Prompt, completion: [TokenID]) -> RewardInput {
        let produced = Array(completion.prefix { $0 != tokenizer.end })
        return RewardInput(completion: tokenizer.decode(produced), completionTokens: produced.count,
                           row: Row(prompt: .text(prompt.question), answer: .string(prompt.answer)))
    }

    /// Scores with the composite reward: the weighted total (any finite real) and its `correct` rule.
    package func verifyWithRewards(_ rewards: CompositeReward, prompt: Prompt, completion: [TokenID]) -> Verdict {
        let s = rewards.scoreWaiting(rewardInput(prompt: prompt, completion: completion))
        let f32 = Double(Float.greatestFiniteMagnitude)   // a finite total stays finite as f32
        return Verdict(reward: Float(max(-f32, min(f32, s.total))), correct: s.correct)
    }

    /// `maxPromptTokens + maxCompletionTokens`: the model needs at least this many positions.
    package var maxSequenceTokens: Int { maxPromptTokens + maxCompletionTokens }

    /// A fixed evaluation set: up to `size` held-out prompts with distinct (question, answer),
    /// taken from eval indices 0, 1, 2, … in order (like the reference's fixed sample of
    /// 1000 held-out strings drawn without replacement). Smaller when the held-out split
    /// has fewer problems.
    package func evaluationSet(seed: UInt64, size: Int) -> [Prompt] {
        let target = min(size, count(of: .eval) ?? size)
        var seen = Set<[String]>()
        var prompts: [Prompt] = []
        var index = 0
        // The attempt cap only matters if the split is far smaller than counted; it never is.
        while prompts.count < target, index < 100 * target + 1000 {
            let p = prompt(seed: seed, index: index, split: .eval)
            if seen.insert([p.question, p.answer]).inserted { prompts.append(p) }
            index += 1
        }
        return prompts
    }
}

/// The shared scoring rule of every task.
package enum Verifier {
    /// Judges `completion` against the reference `answer`.
    ///
    /// * The completion is cut at its first `end` token; anything after it
    ///   (padding, further samples) is ignored. A completion without `end` (truncated
    ///   at the length limit) is judged on all its tokens.
    /// * `correct` ⇔ the tokens before `end` equal `answer` exactly.
    /// * Reward is 1 if correct. Otherwise 0, or with `partialCredit`
    ///   `matches / max(answer.count, produced.count)`, where `matches` counts the
    ///   positions `i < min(answer.count, produced.count)` with equal tokens. Extra
    ///   or missing tokens therefore count as wrong positions: the wrong-length penalty.
    package static func judge(answer: [TokenID], completion: [TokenID], end: TokenID, partialCredit: Bool) -> Verdict {
        let produced = completion.prefix { $0 != end }
        if produced.elementsEqual(answer) { return Verdict(reward: 1, correct: true) }
        guard partialCredit else { return Verdict(reward: 0, correct: false) }
        let matches = zip(produced, answer).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        let denominator = max(answer.count, produced.count)  // > 0: both empty would have matched
        return Verdict(reward: Float(matches) / Float(denominator), correct: false)
    }
}
