// The learner's background evaluation: the accuracy it reports for a copy of the weights is
// the one the synchronous evaluator gives for those weights, the copy is taken at submission
// (later changes to the model do not leak in), `finish` waits for the pending job, and the
// calibration (AUC, ECE) it reports is that of the sampled completions it counted.

import XCTest
import Objectives
import Policy
import Tasks
import Tensor
@testable import Training

final class BackgroundEvaluatorTests: XCTestCase {
    func testResultsMatchTheSynchronousEvaluatorOnTheSubmittedWeights() throws {
        let task = try TaskSpec(parsing: "reverse:digits=4").makeTask()
        let prompts = task.evaluationSet(seed: 1, size: 64)
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2)
        let model = try GPT(config: cfg, seed: 3)
        let weightsA = Array(model.params.buffer)
        let expectedA = try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts)
        let evaluator = try BackgroundEvaluator(config: cfg, task: task, prompts: prompts)
        defer { evaluator.close() }
        evaluator.submit(step: 10, weights: model)
        // Change the model right away: the evaluator must score the copy taken at submission.
        let other = try GPT(config: cfg, seed: 99)
        try model.copyParameters(from: other)
        let expectedB = try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts)
        let first = try evaluator.finish()
        XCTAssertEqual(first, [BackgroundEvaluator.Result(step: 10, accuracy: expectedA)])
        XCTAssertEqual(Array(evaluator.model.params.buffer), weightsA, "the evaluator scored other weights than those submitted")
        XCTAssertNotEqual(Array(model.params.buffer), weightsA)
        evaluator.submit(step: 20, weights: model)
        let second = try evaluator.finish()
        XCTAssertEqual(second, [BackgroundEvaluator.Result(step: 20, accuracy: expectedB)])
        XCTAssertEqual(try evaluator.collect(), [], "results are handed out once")
    }

    /// The sampled half: `total` completions spread over the prompts (at least one each), drawn at
    /// the configured temperature with a generator seeded by the step, equal to the synchronous
    /// evaluator on the same repeated prompts and seed.
    func testSampledAccuracyMatchesTheSynchronousEvaluatorWithTheStepsSeed() throws {
        XCTAssertEqual(BackgroundEvaluator.Sampling(total: 128, prompts: 18, temperature: 1, topK: nil, seed: 0)?.perPrompt, 8)
        XCTAssertEqual(BackgroundEvaluator.Sampling(total: 128, prompts: 500, temperature: 1, topK: nil, seed: 0)?.perPrompt, 1)
        XCTAssertNil(BackgroundEvaluator.Sampling(total: 0, prompts: 18, temperature: 1, topK: nil, seed: 0))
        let task = try TaskSpec(parsing: "copy:digits=2,partial=true").makeTask()
        let prompts = task.evaluationSet(seed: 1, size: 20)
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2)
        let model = try GPT(config: cfg, seed: 5)
        // Larger weights: peaked logits, so that the temperature changes what is drawn.
        for i in model.params.buffer.indices { model.params.buffer[i] *= 6 }
        let sampling = BackgroundEvaluator.Sampling(total: 60, prompts: prompts.count, temperature: 0.7, topK: nil, seed: 9)!
        let evaluator = try BackgroundEvaluator(config: cfg, task: task, prompts: prompts, sampling: sampling)
        defer { evaluator.close() }
        evaluator.submit(step: 30, weights: model)
        let got = try XCTUnwrap(evaluator.finish().first)
        var rng = Xoshiro256(seed: SplitMix64.mix(9, 0xE7A15, 30))
        let repeated = prompts.flatMap { Array(repeating: $0, count: sampling.perPrompt) }
        let want = try Evaluator.sampledAccuracy(model: model, task: task, prompts: repeated, temperature: 0.7, rng: &rng)
        XCTAssertEqual(got.sampledAccuracy, want.accuracy)
        XCTAssertEqual(got.sampledReward, want.reward)
        XCTAssertEqual(got.accuracy, try Evaluator.greedyAccuracy(model: model, task: task, prompts: prompts))
        // Another temperature draws other completions (their mean reward differs).
        var rng2 = Xoshiro256(seed: SplitMix64.mix(9, 0xE7A15, 30))
        let hot = try Evaluator.sampledAccuracy(model: model, task: task, prompts: repeated, temperature: 3, rng: &rng2)
        XCTAssertNotEqual(hot.reward, want.reward)
    }

    /// The calibration in a result is that of the very completions its sampled accuracy counts:
    /// `CalibrationMetrics` of their sequence probabilities (re-drawn with the step's seed) against
    /// their correctness. A short supervised warm start makes some draws right and some wrong, so
    /// the AUC exists.
    func testCalibrationIsThatOfTheSameSampledCompletions() throws {
        let task = try TaskSpec(parsing: "copy:digits=2").makeTask()
        let prompts = task.evaluationSet(seed: 1, size: 10)
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2)
        let model = try GPT(config: cfg, seed: 5)
        let warm = try Pretraining.run(model: model, optimizer: AdamW(layout: model.layout, config: AdamWConfig(learningRate: 3e-3)),
                                       task: task, seed: 2, batch: 32, target: 0.3, maxSteps: 400, evalEvery: 5, evalSet: prompts)
        XCTAssertGreaterThanOrEqual(warm.evalGreedyAccuracy, 0.3, "warm start: \(warm.steps) steps")
        let sampling = BackgroundEvaluator.Sampling(total: 200, prompts: prompts.count, temperature: 0.8, topK: 6, seed: 4)!
        let evaluator = try BackgroundEvaluator(config: cfg, task: task, prompts: prompts, sampling: sampling)
        defer { evaluator.close() }
        evaluator.submit(step: 7, weights: model)
        let got = try XCTUnwrap(evaluator.finish().first)
        // The same draws, by hand: the sampler with the step's seed, confidence exp(Σ log p).
        var rng = Xoshiro256(seed: SplitMix64.mix(4, 0xE7A15, 7))
        let repeated = prompts.flatMap { Array(repeating: $0, count: sampling.perPrompt) }
        XCTAssertEqual(repeated.count, 200)
        let opts = SamplingOptions(temperature: 0.8, topK: 6, maxNewTokens: task.maxCompletionTokens, endToken: Int32(task.tokenizer.end))
        let outs = try Sampler(model: model).generate(prompts: repeated.map { $0.tokens.map(Int32.init) }, options: opts, rng: &rng)
        let correct = zip(repeated, outs).map { task.verify(prompt: $0, completion: $1.tokens.map(Int.init)).correct }
        let confidence = outs.map { exp($0.logProbs.reduce(0.0) { $0 + Double($1) }) }
        let want = CalibrationMetrics(confidence: confidence, correct: correct)
        XCTAssertTrue(correct.contains(true) && correct.contains(false), "the draws need both outcomes: \(correct.filter { $0 }.count) correct")
        XCTAssertEqual(got.sampledAccuracy, Double(correct.filter { $0 }.count) / 200)
        let auc = try XCTUnwrap(got.sampledAUC)
        XCTAssertEqual(auc, try XCTUnwrap(want.auc), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(got.sampledECE), want.ece, accuracy: 1e-12)
        XCTAssertGreaterThan(want.ece, 0)
        // Without sampling there is no calibration either.
        let greedyOnly = try BackgroundEvaluator(config: cfg, task: task, prompts: prompts)
        defer { greedyOnly.close() }
        greedyOnly.submit(step: 7, weights: model)
        let plain = try XCTUnwrap(greedyOnly.finish().first)
        XCTAssertNil(plain.sampledAUC); XCTAssertNil(plain.sampledECE)
    }
}
