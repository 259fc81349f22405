// The offline loop (SyncTraining) under the rules of the one training step: it stops when
// learning cannot work (`add` from an untrained model, where no sample can be correct) and not
// with partial credit; a step without an update keeps the version (a version names a set of
// weights); under dynamic sampling it samples more prompts until every batch has
// `promptsPerStep` groups with signal, and gives up after `no_signal_batches` batches' worth of
// groups without. Throughput counts only tokens that went through an update.

import Foundation
import Rollout
import XCTest
import Objectives
import Policy
import Tasks
import Tensor
@testable import Training

final class SyncTrainingTests: XCTestCase {
    private func offline(_ spec: String, noSignalBatches: Int, steps: Int = 8, groupSize: Int = 4,
                         configure: (inout TrainOptions) -> Void = { _ in }) throws -> SyncTraining {
        let task = try TaskSpec(parsing: spec).makeTask()
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2)
        var opts = TrainOptions.defaults(preset: "tiny")
        opts.steps = steps; opts.promptsPerStep = 4; opts.groupSize = groupSize; opts.evalEvery = 100; opts.evalSize = 16
        opts.health.noSignalBatches = noSignalBatches
        configure(&opts)
        let trainer = try PolicyTrainer(model: try GPT(config: cfg, seed: 1), settings: opts.update)
        return SyncTraining(task: task, trainer: trainer, options: opts,
                            state: TrainerState(phase: "train", task: task.spec, preset: "tiny", seed: 1))
    }

    func testTheOfflineLoopStopsWhenNoSampleCanBeCorrect() throws {
        // An untrained model on `add` never samples a whole correct sum: no group has signal.
        let loop = try offline("add", noSignalBatches: 3)
        let reports = try loop.run { _ in }
        XCTAssertEqual(reports.count, 3, "stops at the third batch without signal, not at the step budget")
        let p = try XCTUnwrap(loop.health.stopProblem)
        XCTAssertEqual(p.kind, .noSignal)
        XCTAssertTrue(p.message.contains("never solves the task"), p.message)
        XCTAssertEqual(reports.last?.problem, p)
        XCTAssertEqual(reports.map(\.batchesWithoutSignal), [1, 2, 3])
        XCTAssertTrue(reports.allSatisfy { !$0.updated && $0.tokensPerSecond == nil && $0.trainedTokens == 0 })
    }

    func testTheOfflineLoopKeepsTrainingWithPartialCredit() throws {
        // Partial credit rewards each right digit: groups differ, every batch has signal.
        let loop = try offline("add:partial=true", noSignalBatches: 3)
        let reports = try loop.run { _ in }
        XCTAssertEqual(reports.count, 8, "runs to the step budget")
        XCTAssertNil(loop.health.stopProblem)
        XCTAssertTrue(reports.allSatisfy { $0.problem == nil })
        XCTAssertTrue(reports.contains { $0.updated && ($0.tokensPerSecond ?? 0) > 0 && $0.trainedTokens > 0 })
    }

    /// The version names the weights: a step without an optimizer step keeps it (the sync loop
    /// used to bump it on every step).
    func testAStepWithoutAnUpdateKeepsTheVersion() throws {
        let still = try offline("add", noSignalBatches: 3)
        let none = try still.run { _ in }
        XCTAssertEqual(none.count, 3)
        XCTAssertEqual(none.map(\.version), [0, 0, 0], "no update, no new version")
        XCTAssertEqual(none.map(\.step), [1, 2, 3], "but every batch is a step")
        XCTAssertEqual(still.state.version, 0)

        let moving = try offline("add:partial=true", noSignalBatches: 0)
        let reports = try moving.run { _ in }
        var expected = 0
        for r in reports {
            if r.updated { expected += 1 }
            XCTAssertEqual(r.version.rawValue, UInt64(expected), "step \(r.step): one version per update")
        }
        XCTAssertEqual(moving.state.version.rawValue, UInt64(reports.filter(\.updated).count))
        XCTAssertGreaterThan(moving.state.version, .initial)
    }

    /// Dynamic sampling: every trained batch holds `promptsPerStep` groups with signal; the
    /// groups without are sampled, counted and left out, and more prompts are sampled instead.
    func testUnderDynamicSamplingEveryBatchIsRefilledToGroupsWithSignal() throws {
        // Partial credit with pairs: an untrained model often scores both samples of a prompt 0.
        let dumps = FileManager.default.temporaryDirectory.appendingPathComponent("sync-refill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dumps) }
        let loop = try offline("add:partial=true", noSignalBatches: 0, steps: 6, groupSize: 2) { o in
            o.update.objective.dynamicSampling = true
        }
        loop.dumpBatches = dumps
        let reports = try loop.run { _ in }
        XCTAssertEqual(reports.count, 6)
        var trained = 0, filtered = 0
        var indices: [Int] = []
        for r in reports {
            let file = try BatchFile.read(from: dumps.appendingPathComponent(BatchDumps.fileName(step: r.step - 1)))
            let kept = try JSONDecoder().decode([Int].self, from: Data(try XCTUnwrap(file.extra["prompt_indices"]).utf8))
            let left = try JSONDecoder().decode([Int].self, from: Data(try XCTUnwrap(file.extra["filtered_prompt_indices"]).utf8))
            XCTAssertEqual(kept.count, 4, "step \(r.step): the batch is refilled to promptsPerStep groups")
            XCTAssertEqual(file.batch.count, 8)
            for g in 0..<4 {
                let rewards = file.batch.rewards[(2 * g)..<(2 * g + 2)]
                XCTAssertTrue(rewardsHaveSignal(rewards), "step \(r.step): a group without signal was trained")
            }
            XCTAssertEqual(r.zeroVarianceGroups, Double(left.count) / Double(4 + left.count), accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap(r.update.metrics?.dynamicSamplingDroppedFraction), r.zeroVarianceGroups, accuracy: 1e-12)
            trained += kept.count; filtered += left.count
            indices += kept + left
        }
        XCTAssertGreaterThan(filtered, 0, "some groups had no signal: the loop refilled")
        XCTAssertEqual(loop.state.promptCursor, trained + filtered, "every sampled prompt is trained or filtered")
        XCTAssertEqual(indices.sorted(), Array(0..<loop.state.promptCursor), "each prompt exactly once")
        XCTAssertEqual(reports.last?.rollouts, 2 * loop.state.promptCursor)
    }

    /// A rollout budget ends the run once that many completions were sampled, refills included.
    func testARolloutBudgetCountsTheRefills() throws {
        let loop = try offline("add:partial=true", noSignalBatches: 0, steps: 100, groupSize: 2) { o in
            o.update.objective.dynamicSampling = true; o.rolloutBudget = 40
        }
        let reports = try loop.run { _ in }
        let last = try XCTUnwrap(reports.last?.rollouts)
        XCTAssertGreaterThanOrEqual(last, 40)
        XCTAssertLessThan(reports.dropLast().last?.rollouts ?? 0, 40, "stops at the first step that reaches the budget")
        XCTAssertEqual(last, 2 * loop.state.promptCursor)
    }

    /// Dynamic sampling with no signal at all gives up after `no_signal_batches` batches' worth
    /// of groups: no step, those batches recorded without signal, and the run stops.
    func testUnderDynamicSamplingTheLoopGivesUpAfterNoSignalBatches() throws {
        let loop = try offline("add", noSignalBatches: 2) { o in o.update.objective.dynamicSampling = true }
        let reports = try loop.run { _ in }
        XCTAssertEqual(reports.count, 0, "no batch with signal, no step")
        XCTAssertEqual(loop.state.step, 0)
        XCTAssertEqual(loop.state.version, 0)
        XCTAssertEqual(loop.state.promptCursor, 8, "2 batches × 4 groups sampled, then it gave up")
        XCTAssertEqual(loop.health.batchesWithoutSignal, 2)
        XCTAssertEqual(loop.health.stopProblem?.kind, .noSignal)

        // Warn only: each give-up counts against the step budget, so the run still ends.
        let warn = try offline("add", noSignalBatches: 2, steps: 6) { o in
            o.update.objective.dynamicSampling = true; o.health.stopOnNoSignal = false
        }
        XCTAssertEqual(try warn.run { _ in }.count, 0)
        XCTAssertEqual(warn.state.promptCursor, 24, "three give-ups of 2 batches × 4 groups fill the budget of 6")
        XCTAssertEqual(warn.health.batchesWithoutSignal, 6)
    }
}
