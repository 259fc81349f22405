// SamplerThread: a worker session's policy and sampler on a thread of their own. Sampling is
// CPU-bound for milliseconds at a time; on Swift's cooperative pool it would hold one of its
// few threads (the only one when the process has one CPU), and the background download, the
// in-flight submission's acks and the watch stream would wait for it. The session sends jobs
// (load weights, sample a lease) and awaits their results; the model, the sampler and the
// random stream never leave this thread.

import Foundation
import Policy
import Rollout
import Tensor

final class SamplerThread: @unchecked Sendable {
    private let model: GPT
    private let sampler: GroupSampler
    private var rng: Xoshiro256
    private let thread = JobThread(name: "trib-sampler", stackSize: 16 << 20)

    init(config: ModelConfig, sampler: GroupSampler, seed: UInt64) throws {
        model = try GPT(config: config)
        self.sampler = sampler
        rng = Xoshiro256(seed: seed)
    }

    /// Runs `body` on the sampler thread with the model, the sampler and the random stream.
    func run<T: Sendable>(_ body: @escaping @Sendable (GPT, GroupSampler, inout Xoshiro256) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            let queued = thread.submit { [self] in c.resume(with: Result { try body(model, sampler, &rng) }) }
            if !queued { c.resume(throwing: CancellationError()) }
        }
    }

    /// Whether the caller is the sampler thread.
    var isCurrentThread: Bool { thread.isCurrent }

    /// Ends the thread after the jobs already queued.
    func close() { thread.close() }

    deinit { thread.close() }   // the thread keeps only its JobThread alive, not this object
}
