// Calibration in evaluation (`Evaluator.sampled`): the confidence of a sampled completion is its
// sequence probability under the policy — checked against the same samples scored by a forward
// pass of the model — and the AUC/ECE are those of (confidence, correctness); accuracy and reward
// agree with `sampledAccuracy` for the same seed.

import Foundation
import XCTest
import Objectives
import Policy
import Tasks
import Tensor
@testable import Training

final class CalibrationEvalTests: XCTestCase {
    func testSampledCalibrationUsesTheCompletionsProbability() throws {
        let task = try TaskSpec(parsing: "reverse:digits=2").makeTask()
        let prompts = task.evaluationSet(seed: 1, size: 24)
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2)
        let model = try GPT(config: cfg, seed: 3)
        var rng = Xoshiro256(seed: 9)
        let s = try Evaluator.sampled(model: model, task: task, prompts: prompts, rng: &rng)
        var again = Xoshiro256(seed: 9)
        let plain = try Evaluator.sampledAccuracy(model: model, task: task, prompts: prompts, rng: &again)
        XCTAssertEqual(s.accuracy, plain.accuracy); XCTAssertEqual(s.reward, plain.reward)
        XCTAssertEqual(s.calibration.count, prompts.count)
        // Re-draw the same completions and score them with one teacher-forced forward each.
        var third = Xoshiro256(seed: 9)
        let opts = SamplingOptions(maxNewTokens: task.maxCompletionTokens, endToken: Int32(task.tokenizer.end))
        let outs = try Sampler(model: model).generate(prompts: prompts.map { $0.tokens.map(Int32.init) }, options: opts, rng: &third)
        var conf: [Double] = [], correct: [Bool] = []
        for (p, c) in zip(prompts, outs) {
            let seq = p.tokens.map(Int32.init) + c.tokens
            let lp = try model.forward(tokens: seq, batch: 1, length: seq.count, forBackward: false)
            conf.append(exp(lp[p.tokens.count...].reduce(0.0) { $0 + Double($1) }))
            correct.append(task.verify(prompt: p, completion: c.tokens.map(Int.init)).correct)
        }
        let want = CalibrationMetrics(confidence: conf, correct: correct)
        XCTAssertEqual(s.calibration.ece, want.ece, accuracy: 1e-4)
        XCTAssertEqual(s.calibration.auc == nil, want.auc == nil)
        if let a = s.calibration.auc, let b = want.auc { XCTAssertEqual(a, b, accuracy: 1e-9) }
        XCTAssertGreaterThan(s.calibration.ece, 0, "an untrained policy is not calibrated")
    }
}
