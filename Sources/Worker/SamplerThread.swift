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
    private let cond = NSCondition()
    private var jobs: [() -> Void] = []
    private var closed = false

    init(config: ModelConfig, sampler: GroupSampler, seed: UInt64) throws {
        model = try GPT(config: config)
        self.sampler = sampler
        rng = Xoshiro256(seed: seed)
        let t = Thread { [self] in
            Thread.current.name = "trib-sampler"   // from inside, ≤ 15 bytes: Linux keeps a thread name only so
            loop()
        }
        t.stackSize = 16 << 20
        t.start()
    }

    /// Runs `body` on the sampler thread with the model, the sampler and the random stream.
    func run<T: Sendable>(_ body: @escaping @Sendable (GPT, GroupSampler, inout Xoshiro256) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            cond.lock(); defer { cond.unlock() }
            guard !closed else { return c.resume(throwing: CancellationError()) }
            jobs.append { [self] in c.resume(with: Result { try body(model, sampler, &rng) }) }
            cond.signal()
        }
    }

    /// Ends the thread after the jobs already queued.
    func close() {
        cond.lock(); closed = true; cond.signal(); cond.unlock()
    }

    private func loop() {
        while true {
            cond.lock()
            while jobs.isEmpty && !closed { cond.wait() }
            if jobs.isEmpty { cond.unlock(); return }
            let job = jobs.removeFirst()
            cond.unlock()
            job()
        }
    }
}
