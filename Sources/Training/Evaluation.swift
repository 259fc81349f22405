// Held-out evaluation. Greedy exact-match accuracy is computed with one teacher-forced
// forward pass: greedy decoding reproduces `answer + end` exactly iff, at every completion
// position, the argmax given the correct prefix is the correct token (induction over
// positions) — the same shortcut as peers/reverse_grpo.py, checked against real greedy
// decoding in the tests. Sampled accuracy draws one temperature-1 completion per prompt
// (the expected GRPO reward); the same samples give the calibration of the policy's confidence
// (sequence probability) against correctness: AUC and expected calibration error.

import Objectives
import Policy
import Tasks
import Tensor

/// Accuracy figures on a fixed evaluation set.
package struct EvalResult: Codable, Sendable, Equatable {
    package var prompts: Int
    package var greedyAccuracy: Double
    /// One τ = 1 sample per prompt; nil when not measured.
    package var sampledAccuracy: Double?
    package var sampledReward: Double?
    /// Calibration of the sampled completions' sequence probability against correctness (AUC,
    /// expected calibration error, 10 bins); nil when not measured or (AUC) without both outcomes.
    package var sampledAUC: Double?
    package var sampledECE: Double?

    package init(prompts: Int, greedyAccuracy: Double, sampledAccuracy: Double? = nil, sampledReward: Double? = nil,
                sampledAUC: Double? = nil, sampledECE: Double? = nil) {
        self.prompts = prompts; self.greedyAccuracy = greedyAccuracy
        self.sampledAccuracy = sampledAccuracy; self.sampledReward = sampledReward
        self.sampledAUC = sampledAUC; self.sampledECE = sampledECE
    }
}

package enum Evaluator {
    /// `prompt + answer + end` for each prompt (the sequences), and the same right-padded with
    /// the task's pad id into one `[count, T]` token matrix.
    static func demonstrations(_ prompts: [Prompt], task: any VerifiableTask) -> (seqs: [[TokenID]], tokens: [Int32], T: Int) {
        let seqs = prompts.map { $0.tokens + task.demonstration(for: $0) }
        let T = seqs.map(\.count).max() ?? 0
        var tokens = [Int32](repeating: Int32(task.tokenizer.pad), count: prompts.count * T)
        for (r, s) in seqs.enumerated() { for (t, v) in s.enumerated() { tokens[r * T + t] = Int32(v) } }
        return (seqs, tokens, T)
    }

    /// Greedy exact-match accuracy of `model` on `prompts` (teacher-forced, `chunk` rows per
    /// inference-only forward): a prompt counts when the arg-max at every answer position is the
    /// reference token. No logits tensor is built (`greedyTokens`), so large vocabularies cost
    /// nothing extra.
    package static func greedyAccuracy(model: GPT, task: any VerifiableTask, prompts: [Prompt], chunk: Int = 256) throws -> Double {
        guard !prompts.isEmpty else { return 0 }
        var correct = 0
        var start = 0
        while start < prompts.count {
            let part = prompts[start..<min(prompts.count, start + chunk)]
            start += part.count
            let (seqs, tokens, T) = demonstrations(Array(part), task: task)
            try model.forward(tokens: tokens, batch: part.count, length: T, forBackward: false)
            let greedy = model.greedyTokens()
            for (r, p) in part.enumerated() where (p.tokens.count..<seqs[r].count).allSatisfy({ t in
                greedy[r * T + t] == Int32(seqs[r][t])
            }) {
                correct += 1
            }
        }
        return Double(correct) / Double(prompts.count)
    }

    /// One sampled completion per prompt at `temperature` (1 unless given), judged by the task's
    /// verifier (a composite reward's `correct` rule when the task has one): (fraction correct,
    /// mean reward). Repeat a prompt in `prompts` for several samples of it.
    package static func sampledAccuracy(model: GPT, task: any VerifiableTask, prompts: [Prompt],
                                       temperature: Float = 1, topK: Int? = nil,
                                       rng: inout Xoshiro256) throws -> (accuracy: Double, reward: Double) {
        let s = try sampled(model: model, task: task, prompts: prompts, temperature: temperature, topK: topK, rng: &rng)
        return (s.accuracy, s.reward)
    }

    /// What one sampled completion per prompt (temperature 1) shows.
    package struct Sampled: Sendable {
        package var accuracy: Double
        package var reward: Double
        /// Confidence = the completion's sequence probability exp(Σ log π), against correctness.
        package var calibration: CalibrationMetrics
    }

    /// One sampled completion per prompt at `temperature` (1 unless given): accuracy, mean reward
    /// and calibration.
    package static func sampled(model: GPT, task: any VerifiableTask, prompts: [Prompt], temperature: Float = 1,
                               topK: Int? = nil, rng: inout Xoshiro256) throws -> Sampled {
        guard !prompts.isEmpty else { return Sampled(accuracy: 0, reward: 0, calibration: CalibrationMetrics(confidence: [], correct: [])) }
        let sampler = Sampler(model: model)
        let opts = SamplingOptions(temperature: temperature, topK: topK, maxNewTokens: task.maxCompletionTokens,
                                   endToken: Int32(task.tokenizer.end))
        let outs = try sampler.generate(prompts: prompts.map { $0.tokens.map(Int32.init) }, options: opts, rng: &rng)
        var correct: [Bool] = [], reward = 0.0
        for (p, c) in zip(prompts, outs) {
            let v = task.verify(prompt: p, completion: c.tokens.map(Int.init))
            correct.append(v.correct)
            reward += Double(v.reward)
        }
        let n = Double(prompts.count)
        return Sampled(accuracy: Double(correct.filter { $0 }.count) / n, reward: reward / n,
                       calibration: CalibrationMetrics(confidence: outs.map { sequenceConfidence(logProbs: $0.logProbs) },
                                                       correct: correct))
    }

    /// Greedy accuracy by real step-by-step greedy decoding (slower; used to check the shortcut).
    package static func decodedGreedyAccuracy(model: GPT, task: any VerifiableTask, prompts: [Prompt]) throws -> Double {
        guard !prompts.isEmpty else { return 0 }
        var rng = Xoshiro256(seed: 0)
        let opts = SamplingOptions(maxNewTokens: task.maxCompletionTokens, endToken: Int32(task.tokenizer.end), greedy: true)
        let outs = try Sampler(model: model).generate(prompts: prompts.map { $0.tokens.map(Int32.init) }, options: opts, rng: &rng)
        let correct = zip(prompts, outs).filter { task.verify(prompt: $0, completion: $1.tokens.map(Int.init)).correct }.count
        return Double(correct) / Double(prompts.count)
    }
}
