// The exact per-position KL to a previous policy, KL(π_θ ‖ π_prev) = Σ_v p_v (log p_v − log q_v),
// over the whole vocabulary, and its logit gradient p ∘ (log p − log q − KL) for MDPO's
// `previous_kl = input` (Objectives MDPO.swift). Both models' logits are recomputed chunk by chunk
// from their cached final-norm outputs, as in the LM head (GPT+Head.swift): `previous` must hold
// a forward (either mode) on the same tokens. The trainer keeps π_k and runs it alongside the
// policy (Training PolicyTrainer+PreviousPolicy.swift).

import Foundation
import Tensor

/// The KL term of the head backward: dLoss/dKL per position and the previous policy's cached
/// final-norm output [B·T, C′] and head weight [V, C′] (valid while `previous` is alive and not re-run).
struct PreviousKLTerm {
    let d: UnsafePointer<Float>
    let x: UnsafePointer<Float>
    let w: UnsafePointer<Float>
    let channels: Int
}

extension GPT {
    /// Checks that `previous` holds a forward on this model's cached tokens and can be compared.
    func checkPrevious(_ previous: GPT) throws -> (x: UnsafePointer<Float>, w: UnsafePointer<Float>) {
        guard let (B, T) = cachedShape, let _ = finalNormOutput else {
            throw PolicyError.badInput("previousKL: this model has no cached forward")
        }
        guard previous.config.vocabSize == config.vocabSize else {
            throw PolicyError.badInput("previousKL: vocabularies differ (\(previous.config.vocabSize) vs \(config.vocabSize))")
        }
        guard let (pb, pt) = previous.cachedShape, pb == B, pt == T, previous.tokens == tokens,
              let px = previous.finalNormOutput else {
            throw PolicyError.badInput("previousKL: the previous policy must hold a forward on the same \(B)×\(T) tokens")
        }
        return (UnsafePointer(px), UnsafePointer(previous.params.base + previous.layout.head))
    }

    /// Exact KL(π_θ ‖ π_prev) of the distribution predicting each position of the cached forward
    /// ([B·T], position 0 of each sequence = 0); `previous` must hold a forward on the same tokens.
    public func previousKL(to previous: GPT) throws -> [Float] {
        let (px, pw) = try checkPrevious(previous)
        guard let (B, T) = cachedShape, let x = finalNormOutput else { return [] }
        let N = B * T, C = config.nEmbd, Cp = previous.config.nEmbd, V = config.vocabSize, R = min(N, headChunkRows)
        let scratch = FloatBuffer(count: 2 * R * V)
        let zp = scratch.base, up = zp + R * V, w = params.base + layout.head
        var out = [Float](repeating: 0, count: N)
        out.withUnsafeMutableBufferPointer { oB in
            let o = oB.baseAddress!
            var r0 = 0
            while r0 < N {
                let n = min(R, N - r0)
                Blas.sgemm(transA: false, transB: true, m: n, n: V, k: C, a: x + r0 * C, lda: C, b: w, ldb: C, beta: 0, c: zp, ldc: V)
                Blas.sgemm(transA: false, transB: true, m: n, n: V, k: Cp, a: px + r0 * Cp, lda: Cp, b: pw, ldb: Cp, beta: 0, c: up, ldc: V)
                for i in 0..<n where (r0 + i + 1) % T != 0 {
                    o[r0 + i + 1] = logitsRowKL(zp + i * V, up + i * V, V: V)
                }
                r0 += n
            }
        }
        return out
    }
}

/// KL(softmax(z) ‖ softmax(u)) of one row pair, accumulated in Double.
func logitsRowKL(_ z: UnsafePointer<Float>, _ u: UnsafePointer<Float>, V: Int) -> Float {
    let lp = logitsRowStats(z, V: V).lse, lq = logitsRowStats(u, V: V).lse
    var kl = 0.0
    for j in 0..<V {
        let a = Double(z[j] - lp), b = Double(u[j] - lq)
        kl += exp(a) * (a - b)
    }
    return Float(max(0, kl))
}

/// In place: z[V] becomes the logit gradient of g·log p[token] + e·H + k·KL(p ‖ q):
/// g·onehot − p ∘ (g + e·(log p + H) − k·(log p − log q − KL)), with q = softmax(u).
func logitsRowBackwardKL(_ z: UnsafeMutablePointer<Float>, lse: Float, g: Float, token: Int, V: Int,
                         entropyCoef e: Float, entropy h: Float, previous u: UnsafePointer<Float>, klCoef k: Float) {
    let lq = logitsRowStats(u, V: V).lse
    var kl = 0.0
    for j in 0..<V { let a = Double(z[j] - lse); kl += exp(a) * (a - Double(u[j] - lq)) }
    let klF = Float(kl)
    for j in 0..<V {
        let a = z[j] - lse, b = u[j] - lq
        z[j] = -Vec.exp(a) * (g + e * (a + h) - k * (a - b - klF))
    }
    z[token] += g
}
