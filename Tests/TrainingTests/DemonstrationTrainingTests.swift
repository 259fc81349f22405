// Demonstration rows in training (PROTOCOL.md §6.5.3, docs/algorithms.md "rpo"): batch files keep
// the flags (and plain batches stay without the tensor), and a minibatch whose sampled rows carry
// no advantage is still stepped on under RPO (its SFT term is a signal) but skipped under GRPO.

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tensor
@testable import Training

final class DemonstrationTrainingTests: XCTestCase {
    private let cfg = ModelConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2)

    /// Two sampled rows of one group with equal rewards (advantages 0) and its demonstration row.
    private func batch() throws -> TrainingBatch {
        let groups = [RolloutGroup(promptIndex: 0, prompt: [1, 2], version: 0, samples: [
            ScoredSample(tokens: [3, 4], logProbs: [-1, -1], reward: 0, correct: false, finish: .end),
            ScoredSample(tokens: [5], logProbs: [-2], reward: 0, correct: false, finish: .length),
        ], reference: [6, 7, 0])]
        return try TrainingBatch.assemble(groups, pad: 11, objective: try .preset("rpo"))
    }

    func testBatchFileKeepsDemonstrationFlags() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let b = try batch()
        XCTAssertEqual(b.demonstration, [false, false, true])
        let url = dir.appendingPathComponent("b.safetensors")
        try BatchFile(batch: b, learnerVersion: 3, objective: try .preset("rpo"), padID: 11, endID: 0).write(to: url)
        var stored = b
        stored.advantageStats = nil                        // not part of a batch file
        XCTAssertEqual(try BatchFile.read(from: url).batch, stored)
        XCTAssertNotNil(try SafeTensorsFile.read(from: url).tensors["demonstration"])
        // Without demonstration rows the file has no such tensor and reads back all false.
        let plain = b.rows([0, 1])
        let url2 = dir.appendingPathComponent("p.safetensors")
        try BatchFile(batch: plain, learnerVersion: 3, objective: try .preset("grpo"), padID: 11, endID: 0).write(to: url2)
        XCTAssertNil(try SafeTensorsFile.read(from: url2).tensors["demonstration"])
        XCTAssertEqual(try BatchFile.read(from: url2).batch.demonstration, [false, false])
    }

    func testZeroAdvantageMinibatchIsSteppedOnlyWithTheSFTTerm() throws {
        for (preset, steps) in [("rpo", 1), ("grpo", 0)] {
            let model = try GPT(config: cfg, seed: 5)
            let trainer = try PolicyTrainer(model: model, settings: UpdateSettings(
                epochs: 1, minibatches: 1, optimizer: AdamWConfig(learningRate: 1e-2), objective: try .preset(preset)))
            let before = Array(model.params.buffer)
            let st = try trainer.update(try batch(), learnerVersion: 0, shuffleSeed: 1)
            XCTAssertEqual(st.optimizerSteps, steps, preset)
            XCTAssertEqual(st.skippedMinibatches, 1 - steps, preset)
            XCTAssertEqual(Array(model.params.buffer) != before, steps == 1, preset)
            if steps == 1 { XCTAssertEqual(st.metrics?.demonstrationTokens, 3) }
        }
    }

    /// Learning health counts a trained group's demonstration as signal when it gives a gradient,
    /// so RPO and HNPG are not stopped for "no reward signal" on prompts the policy never solves.
    func testDemonstrationsCountAsSignal() throws {
        let unsolved = RolloutGroup(promptIndex: 0, prompt: [1], version: 0, samples: [
            ScoredSample(tokens: [3], logProbs: [-1], reward: 0, correct: false, finish: .end),
            ScoredSample(tokens: [4], logProbs: [-1], reward: 0, correct: false, finish: .end),
        ], reference: [6, 0])
        var solved = unsolved
        for i in 0..<2 { solved.samples[i].reward = 1 }
        var noReference = unsolved
        noReference.reference = []
        let rpo = try ObjectiveConfig.preset("rpo"), hnpg = try ObjectiveConfig.preset("hnpg"), grpo = try ObjectiveConfig.preset("grpo")
        XCTAssertTrue(TrainingStep.demonstrationSignal(unsolved, rpo))
        XCTAssertTrue(TrainingStep.demonstrationSignal(solved, rpo), "the SFT term does not depend on rewards")
        XCTAssertTrue(TrainingStep.demonstrationSignal(unsolved, hnpg))
        XCTAssertFalse(TrainingStep.demonstrationSignal(solved, hnpg), "every sample as good as the demonstration: all Â = 0")
        XCTAssertFalse(TrainingStep.demonstrationSignal(unsolved, grpo))
        XCTAssertFalse(TrainingStep.demonstrationSignal(noReference, rpo))
    }
}
