// Micro-benchmarks of the policy engine for `tributary bench`: raw sgemm throughput,
// learner updates (forward + backward + AdamW) and batched sampling, in tokens per second.
// `PolicyBench.run` measures everything for each preset at a given thread count and returns a
// Codable report (see PolicyBenchReport.swift) that the CLI prints as JSON.

import Foundation
import Policy
import Tensor

/// Throughput measurements. Results depend on the build configuration (use release).
package enum PolicyBench {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// GFLOP/s of an [m×k]·[k×n] sgemm, best of `repeats`.
    /// With `transA`, times `[k×m]ᵀ·[k×n]` (the weight-gradient form of the backward pass).
    package static func sgemmGFLOPS(m: Int = 3072, n: Int = 512, k: Int = 128, transA: Bool = false,
                                   repeats: Int = 10) -> Double {
        let a = FloatBuffer(count: m * k), b = FloatBuffer(count: k * n), c = FloatBuffer(count: m * n)
        for i in 0..<a.count { a.base[i] = Float(i % 7) * 0.1 }
        for i in 0..<b.count { b.base[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        withExtendedLifetime((a, b, c)) {
            for _ in 0..<repeats {
                best = min(best, seconds {
                    Blas.sgemm(transA: transA, transB: false, m: m, n: n, k: k, a: a.base, lda: transA ? m : k,
                               b: b.base, ldb: n, beta: 0, c: c.base, ldc: n)
                })
            }
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// Result of a learner benchmark.
    package struct LearnerResult: Sendable {
        package let tokensPerSecond: Double
        package let secondsPerUpdate: Double
        /// Achieved GFLOP/s counting 6·params·tokens (+ attention) per update.
        package let gflops: Double
    }

    /// Learner updates (forward, backward, AdamW) on `batch` sequences of `length` tokens; best of `repeats`.
    /// With `alp`, the update forward adds ALP noise (ALP.swift) and trains the log-scales too.
    package static func learner(preset: String = "small", vocabSize: Int = 64, batch: Int = 128, length: Int = 24,
                               repeats: Int = 5, alp: ALPPerturbation? = nil) throws -> LearnerResult {
        let cfg = try ModelConfig.preset(preset, vocabSize: vocabSize)
        let model = try GPT(config: cfg, seed: 1)
        if let alp { try model.configureALP(alp) }
        var step: UInt64 = 0
        let opt = AdamW(layout: model.layout, config: AdamWConfig(learningRate: 1e-4))
        var rng = Xoshiro256(seed: 2)
        let tokens = (0..<(batch * length)).map { _ in Int32(rng.next() % UInt64(vocabSize)) }
        let d = (0..<(batch * length)).map { $0 % length == 0 ? Float(0) : -1 / Float(batch * length) }
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let s = try seconds {
                step += 1
                try model.forward(tokens: tokens, batch: batch, length: length, perturbStep: alp == nil ? nil : step)
                model.zeroGradients()
                try model.backward(dLogProbs: d)
                model.clipGradients(maxNorm: 1)
                try opt.update(model)
            }
            best = min(best, s)
        }
        let n = Double(batch * length), C = Double(cfg.nEmbd), L = Double(cfg.nLayer)
        let matmulParams = L * 12 * C * C + Double(vocabSize) * C
        let flops = 6 * matmulParams * n + 6 * L * n * Double(length) * C  // attention ≈ 3 × 2·T·C per token
        return LearnerResult(tokensPerSecond: n / best, secondsPerUpdate: best, gflops: flops / best / 1e9)
    }

    /// Sampled tokens per second: `groups × samples` sequences, random prompts of `promptLength`,
    /// `completionLength` new tokens each (no end token). Best of `repeats`.
    package static func samplerTokensPerSecond(preset: String = "small", vocabSize: Int = 64, groups: Int = 16,
                                              samples: Int = 8, promptLength: Int = 12, completionLength: Int = 12,
                                              repeats: Int = 3) throws -> Double {
        let cfg = try ModelConfig.preset(preset, vocabSize: vocabSize)
        let model = try GPT(config: cfg, seed: 1)
        let sampler = Sampler(model: model)
        var rng = Xoshiro256(seed: 3)
        var prompts: [[Int32]] = []
        for _ in 0..<groups {
            let p = (0..<promptLength).map { _ in Int32(rng.next() % UInt64(vocabSize)) }
            prompts += Array(repeating: p, count: samples)
        }
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            best = min(best, try seconds {
                _ = try sampler.generate(prompts: prompts, options: SamplingOptions(maxNewTokens: completionLength), rng: &rng)
            })
        }
        return Double(groups * samples * completionLength) / best
    }
}
