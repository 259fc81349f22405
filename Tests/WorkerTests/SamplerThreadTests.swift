// SamplerThread: jobs run in order on the sampler's own thread (not the caller's, not the
// cooperative pool) with the same model and random stream each time; closing refuses new jobs.

import Foundation
import XCTest
import Policy
import Rollout
import Tasks
import Tensor
@testable import Worker

final class SamplerThreadTests: XCTestCase {
    func testJobsRunInOrderOnTheSamplerThreadAndCloseRefusesMore() async throws {
        let task = try TaskSpec(parsing: "reverse:digits=4").makeTask()
        let cfg = ModelConfig(vocabSize: task.tokenizer.vocabulary.count, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2)
        let sampling = try SamplerThread(config: cfg, sampler: GroupSampler(task: task, groupSize: 2, temperature: 1, topK: nil), seed: 7)
        let onIt = try await sampling.run { _, _, _ in sampling.isCurrentThread }
        XCTAssertTrue(onIt, "the job ran on another thread than the sampler's")
        XCTAssertFalse(sampling.isCurrentThread, "the caller is not the sampler thread")
        // The random stream persists across jobs: two draws differ, and equal a fresh stream's.
        let a = try await sampling.run { _, _, rng in rng.next() }
        let b = try await sampling.run { _, _, rng in rng.next() }
        var fresh = Xoshiro256(seed: 7)
        XCTAssertEqual([a, b], [fresh.next(), fresh.next()])
        // Sampling a lease works there, with the group size of the sampler.
        let prompts = (0..<3).map { task.prompt(seed: 0, index: $0, split: .train) }
        let groups = try await sampling.run { model, sampler, rng in try sampler.sample(prompts, model: model, version: 4, rng: &rng) }
        XCTAssertEqual(groups.map(\.samples.count), [2, 2, 2])
        XCTAssertEqual(groups.map(\.version), [4, 4, 4])
        sampling.close()
        do {
            _ = try await sampling.run { _, _, _ in 1 }
            XCTFail("a closed sampler thread took a job")
        } catch is CancellationError {}
    }
}
