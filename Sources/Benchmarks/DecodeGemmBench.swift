// The weight products of one sampler decode step, timed on the few-rows kernel and on OpenBLAS,
// interleaved (kernel, OpenBLAS, kernel, …) so that load from other processes hits both alike;
// `tributary bench real` prints the result. The products use the model's own weights, every
// layer in turn, so each repetition streams them from memory as a decode step does.

import Foundation
import Policy
import Tensor

/// Few-rows kernel against OpenBLAS on a model's decode-step products.
package enum DecodeGemmBench {
    /// One product shape of a decode step: `rows × k` activations times `count` weight matrices
    /// `[n, k]` (one per layer; one for the LM head).
    package struct Shape: Sendable {
        package let name: String
        package let k: Int, n: Int
        /// Offsets of the weight matrices in the model's parameter arena.
        package let offsets: [Int]
    }

    /// Timing of one shape: seconds per product (best repetition) and weight bandwidth.
    package struct Result: Sendable {
        package let shape: String
        package let k: Int, n: Int, rows: Int, matrices: Int
        package let kernelSeconds: Double, openblasSeconds: Double
        /// Weight bytes streamed per second.
        package var kernelGBPerSecond: Double { Double(4 * k * n) / kernelSeconds / 1e9 }
        package var openblasGBPerSecond: Double { Double(4 * k * n) / openblasSeconds / 1e9 }
        package var speedup: Double { openblasSeconds / kernelSeconds }
    }

    /// The A·Wᵀ products of a decode step: for a Llama model the fused q|k|v, o, fused gate|up and
    /// down projections of every block and the LM head; for GPT-2 (whose blocks store W as
    /// [in, out], an OpenBLAS product) the LM head only.
    package static func shapes(_ model: GPT) -> [Shape] {
        let cfg = model.config, C = cfg.nEmbd, head = Shape(name: "lm_head", k: C, n: cfg.vocabSize, offsets: [model.layout.head])
        guard let ll = model.layout.llama else { return [head] }
        let F = cfg.intermediateSize, D = C + 2 * cfg.kvDim
        return [
            Shape(name: "qkv", k: C, n: D, offsets: ll.blocks.map(\.qkvW)),
            Shape(name: "o", k: C, n: C, offsets: ll.blocks.map(\.oW)),
            Shape(name: "gate_up", k: C, n: 2 * F, offsets: ll.blocks.map(\.gateUpW)),
            Shape(name: "down", k: F, n: C, offsets: ll.blocks.map(\.downW)),
            head,
        ]
    }

    /// Times every shape with `rows` rows of A on the current `Blas` threads: `repeats` rounds of
    /// (all matrices on the kernel, all matrices on OpenBLAS), best round of each kept.
    package static func run(_ model: GPT, rows: Int = 16, repeats: Int = 5) -> [Result] {
        let savedMax = Blas.fewRowsMaxRows
        defer { Blas.fewRowsMaxRows = savedMax }
        let p = model.params.base
        return shapes(model).map { s in
            let a = FloatBuffer(count: rows * s.k), c = FloatBuffer(count: rows * s.n)
            for i in 0..<a.count { a.base[i] = Float(i % 13) * 0.01 - 0.06 }
            var best = [Double.infinity, Double.infinity]
            withExtendedLifetime((a, c)) {
                for _ in 0..<repeats {
                    for (i, limit) in [max(rows, savedMax), 0].enumerated() {
                        Blas.fewRowsMaxRows = limit
                        let t = PolicyBench.seconds {
                            for o in s.offsets {
                                Blas.sgemm(transA: false, transB: true, m: rows, n: s.n, k: s.k, a: a.base, lda: s.k,
                                           b: p + o, ldb: s.k, beta: 0, c: c.base, ldc: s.n)
                            }
                        }
                        best[i] = min(best[i], t / Double(s.offsets.count))
                    }
                }
            }
            return Result(shape: s.name, k: s.k, n: s.n, rows: rows, matrices: s.offsets.count,
                          kernelSeconds: best[0], openblasSeconds: best[1])
        }
    }
}
