// The learner's background evaluation: the accuracy it reports for a copy of the weights is
// the one the synchronous evaluator gives for those weights, the copy is taken at submission
// (later changes to the model do not leak in), and `finish` waits for the pending job.

import XCTest
import Policy
import Tasks
import Tensor
@testable import Learner

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
}
