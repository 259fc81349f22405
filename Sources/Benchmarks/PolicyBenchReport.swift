// The report of `PolicyBench.run`: for each preset at one thread count, the sgemm throughput at
// the GEMM shapes of a learner update (measured in the same run, as the "peak"), learner update
// throughput with its achieved GFLOP/s and fraction of that peak, and sampler throughput.
// Codable, so `tributary bench` can print it as JSON.

import Foundation
import Policy
import Tensor

/// sgemm throughput at one shape (`m×n×k`; `transA` = the weight-gradient form Aᵀ·B).
package struct SgemmShapeResult: Codable, Sendable, Equatable {
    package var m: Int, n: Int, k: Int
    package var transA: Bool
    package var gflops: Double
}

/// One learner update (forward, backward, clip, AdamW) on `batch × length` tokens.
package struct LearnerBenchResult: Codable, Sendable, Equatable {
    package var batch: Int, length: Int
    package var tokensPerSecond: Double
    package var secondsPerUpdate: Double
    /// Achieved GFLOP/s counting 6·(matmul parameters)·tokens plus attention.
    package var gflops: Double
    /// `gflops` / the preset's sgemm peak.
    package var fractionOfPeak: Double
}

/// Batched sampling of `groups × samples` sequences, `promptLength` + `completionLength` tokens.
package struct SamplerBenchResult: Codable, Sendable, Equatable {
    package var groups: Int, samples: Int, promptLength: Int, completionLength: Int
    /// Completion tokens per second.
    package var tokensPerSecond: Double
}

/// All measurements for one preset.
package struct PresetBenchResult: Codable, Sendable, Equatable {
    package var preset: String
    package var vocabSize: Int
    package var parameters: Int
    /// Per-shape sgemm throughput (the learner update's shapes at N = batch·length rows).
    package var sgemm: [SgemmShapeResult]
    /// Best of `sgemm`, the reference for `learner.fractionOfPeak`.
    package var sgemmPeakGflops: Double
    package var learner: LearnerBenchResult
    package var sampler: SamplerBenchResult
}

/// `PolicyBench.run`'s result.
package struct PolicyBenchReport: Codable, Sendable, Equatable {
    package var threads: Int
    package var presets: [PresetBenchResult]

    /// Pretty-printed JSON with sorted keys.
    package func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}

extension PolicyBench {
    /// Measures every preset in `presets` at `threads` BLAS/`Parallel` threads (restored afterwards):
    /// sgemm at the update's shapes, learner updates on `batch × length`, and sampling of
    /// `groups × samples` with `promptLength` + `completionLength` tokens. Best of `repeats` each.
    package static func run(presets: [String] = ModelConfig.presetNames, threads: Int = 2, vocabSize: Int = 64,
                           batch: Int = 128, length: Int = 24, groups: Int = 16, samples: Int = 8,
                           promptLength: Int = 12, completionLength: Int = 12, repeats: Int = 5) throws -> PolicyBenchReport {
        guard threads >= 1 else { throw PolicyError.badInput("bench threads must be ≥ 1, got \(threads)") }
        let before = Blas.threads
        Blas.setThreads(threads)
        defer { Blas.setThreads(before) }
        var out: [PresetBenchResult] = []
        for name in presets {
            let cfg = try ModelConfig.preset(name, vocabSize: vocabSize)
            let N = batch * length, C = cfg.nEmbd
            // Forward/backward GEMM shapes of one block: qkv, attn proj, fc, fc proj; and the dW form.
            let shapes: [(Int, Int, Int, Bool)] = [(N, 3 * C, C, false), (N, C, C, false), (N, 4 * C, C, false),
                                                   (N, C, 4 * C, false), (C, 3 * C, N, true), (4 * C, C, N, true)]
            let sg = shapes.map { s in
                SgemmShapeResult(m: s.0, n: s.1, k: s.2, transA: s.3,
                                 gflops: sgemmGFLOPS(m: s.0, n: s.1, k: s.2, transA: s.3, repeats: max(repeats, 5)))
            }
            let peak = sg.map(\.gflops).max() ?? 0
            let l = try learner(preset: name, vocabSize: vocabSize, batch: batch, length: length, repeats: repeats)
            let s = try samplerTokensPerSecond(preset: name, vocabSize: vocabSize, groups: groups, samples: samples,
                                               promptLength: promptLength, completionLength: completionLength,
                                               repeats: repeats)
            out.append(PresetBenchResult(
                preset: name, vocabSize: vocabSize, parameters: ParameterLayout(cfg).count, sgemm: sg,
                sgemmPeakGflops: peak,
                learner: LearnerBenchResult(batch: batch, length: length, tokensPerSecond: l.tokensPerSecond,
                                            secondsPerUpdate: l.secondsPerUpdate, gflops: l.gflops,
                                            fractionOfPeak: peak > 0 ? l.gflops / peak : 0),
                sampler: SamplerBenchResult(groups: groups, samples: samples, promptLength: promptLength,
                                            completionLength: completionLength, tokensPerSecond: s)))
        }
        return PolicyBenchReport(threads: threads, presets: out)
    }
}
