// The warm start's stopping rule (Pretraining.swift): the expected fraction of groups with
// signal, the `METRIC:VALUE` form, and a supervised warm start that stops on sampled accuracy.
import XCTest
import Policy
import Tasks
import Tensor
@testable import Training

final class WarmStartTargetTests: XCTestCase {
    func testSignalFractionOfAGroup() {
        // 1 − pᴳ − (1 − p)ᴳ by hand.
        XCTAssertEqual(WarmStartTarget.signalFraction(sampledAccuracy: 0.5, groupSize: 2), 0.5, accuracy: 1e-12)
        XCTAssertEqual(WarmStartTarget.signalFraction(sampledAccuracy: 0.2, groupSize: 8), 1 - pow(0.2, 8) - pow(0.8, 8), accuracy: 1e-12)
        XCTAssertEqual(WarmStartTarget.signalFraction(sampledAccuracy: 0.001, groupSize: 8), 0.00797, accuracy: 1e-4,
                       "a 0.1 % sampled accuracy leaves signal in under 1 % of groups")
        XCTAssertEqual(WarmStartTarget.signalFraction(sampledAccuracy: 0, groupSize: 8), 0)
        XCTAssertEqual(WarmStartTarget.signalFraction(sampledAccuracy: 1, groupSize: 8), 0)
    }

    func testParsing() throws {
        XCTAssertEqual(try WarmStartTarget(parsing: "sampled:0.2"), WarmStartTarget(.sampled, 0.2))
        XCTAssertEqual(try WarmStartTarget(parsing: "greedy:0.3"), WarmStartTarget(.greedy, 0.3))
        XCTAssertEqual(try WarmStartTarget(parsing: "0.4"), WarmStartTarget(.greedy, 0.4))
        XCTAssertThrowsError(try WarmStartTarget(parsing: "beam:0.2")) { XCTAssertTrue("\($0)".contains("greedy or sampled")) }
        XCTAssertThrowsError(try WarmStartTarget(parsing: "sampled:1.5")) { XCTAssertTrue("\($0)".contains("(0, 1]")) }
        XCTAssertThrowsError(try WarmStartTarget(parsing: "sampled:x"))
    }

    func testAWarmStartStopsOnSampledAccuracy() throws {
        // copy:digits=2 learns in a few dozen steps; the sampled figure is measured at every
        // evaluation and the loop stops at the first one at or above the target.
        let task = try TaskSpec(parsing: "copy:digits=2").makeTask()
        let model = try GPT(config: ModelConfig.preset("tiny", vocabSize: task.tokenizer.vocabSize), seed: 1)
        let opt = AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-3, weightDecay: 0.01))
        let evalSet = task.evaluationSet(seed: 0xE7A1, size: 200)
        var seen: [Double] = []
        let o = try Pretraining.run(model: model, optimizer: opt, task: task, seed: 0, batch: 32,
                                    until: WarmStartTarget(.sampled, 0.25), maxSteps: 400, evalEvery: 2, evalSet: evalSet) {
            if $0.steps % 2 == 0 { seen.append($0.evalSampledAccuracy ?? -1) }
        }
        XCTAssertLessThan(o.steps, 400, "reached the target")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(o.evalSampledAccuracy), 0.25)
        XCTAssertTrue(seen.dropLast().allSatisfy { $0 < 0.25 }, "it stopped at the first evaluation at the target: \(seen)")
        XCTAssertFalse(seen.contains(-1), "every evaluation measured the sampled figure")
        // The sampled figure is the evaluator's on the same weights and seed (reproducible).
        var rng = Xoshiro256(seed: SplitMix64.mix(0, 0x3A3F1E, UInt64(o.steps)))
        let again = try Evaluator.sampledAccuracy(model: model, task: task, prompts: evalSet, temperature: 1, rng: &rng).accuracy
        XCTAssertEqual(again, o.evalSampledAccuracy!, accuracy: 1e-12)
    }
}
