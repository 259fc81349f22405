// Batched autoregressive sampling with a per-layer KV cache (design/MODEL.md "Sampling"):
// all sequences advance one position per step, so each step's projections are real
// [n × C]·[C × 3C] GEMMs over the n sequences still running. Temperature and optional
// top-k; the log-prob of every sampled token is recorded under the distribution used.

import Foundation
import Tensor

/// How to sample.
public struct SamplingOptions: Sendable, Equatable, Codable {
    /// Softmax temperature τ > 0 (ignored when `greedy`).
    public var temperature: Float
    /// Keep only the k most likely tokens (ties at the k-th value are kept too); nil = no truncation.
    public var topK: Int?
    /// Completion limit per sequence (also limited by n_positions − prompt length).
    public var maxNewTokens: Int
    /// Generation stops after this token is sampled (it is included in the completion).
    public var endToken: Int32?
    /// Take the arg-max instead of sampling; log-probs are then under τ = 1.
    public var greedy: Bool

    public init(temperature: Float = 1, topK: Int? = nil, maxNewTokens: Int, endToken: Int32? = nil,
                greedy: Bool = false) {
        self.temperature = temperature; self.topK = topK; self.maxNewTokens = maxNewTokens
        self.endToken = endToken; self.greedy = greedy
    }
}

/// Why a completion stopped.
public enum FinishReason: String, Sendable, Codable, Equatable {
    case endToken = "end"
    case length
}

/// One generated continuation.
public struct Completion: Sendable, Equatable {
    /// Sampled tokens (after the prompt), including the end token if one was sampled.
    public var tokens: [Int32]
    /// log-prob of each sampled token under the sampling distribution actually used.
    public var logProbs: [Float]
    public var finishReason: FinishReason
}

/// Generates from a `GPT`, reading its parameters in place (no copy).
///
/// Threading: not Sendable; use it on the thread that owns `model`. Buffers are reused across calls.
public final class Sampler {
    public let model: GPT
    var cache = FloatBuffer(count: 0)
    var work = FloatBuffer(count: 0)

    public init(model: GPT) { self.model = model }

    /// Samples one completion per prompt. Deterministic given `rng`'s state: one uniform draw per
    /// sampled token, in step order then prompt order.
    public func generate(prompts: [[Int32]], options: SamplingOptions, rng: inout Xoshiro256) throws -> [Completion] {
        let cfg = model.config
        let C = cfg.nEmbd, V = cfg.vocabSize, H = cfg.nHead, L = cfg.nLayer, S = prompts.count
        if S == 0 { return [] }
        guard options.maxNewTokens >= 0 else { throw PolicyError.badInput("maxNewTokens must be ≥ 0") }
        if !options.greedy {
            guard options.temperature > 0, options.temperature.isFinite else {
                throw PolicyError.badInput("temperature must be positive, got \(options.temperature)")
            }
            if let k = options.topK, k < 1 { throw PolicyError.badInput("topK must be ≥ 1, got \(k)") }
        }
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw PolicyError.badInput("prompt \(i) is empty") }
            guard p.count <= cfg.nPositions else {
                throw PolicyError.badInput("prompt \(i) has \(p.count) tokens, more than n_positions \(cfg.nPositions)")
            }
            if let bad = p.first(where: { $0 < 0 || Int($0) >= V }) {
                throw PolicyError.badInput("prompt \(i) holds token \(bad) outside the vocabulary 0..<\(V)")
            }
        }
        let limits = prompts.map { min(options.maxNewTokens, cfg.nPositions - $0.count) }
        let maxLen = zip(prompts, limits).map { $0.count + $1 }.max()!
        // KV cache: per layer, keys then values, each [S, maxLen, C].
        let cacheCount = L * 2 * S * maxLen * C
        if cache.count < cacheCount { cache = FloatBuffer(count: cacheCount) }
        // Work rows: x, ln, qkv, atty, fch, fchGelu, logits, mean, rstd, scratch.
        let workCount = S * (C + C + 3 * C + C + 4 * C + 4 * C + V + 2) + maxLen + V
        if work.count < workCount { work = FloatBuffer(count: workCount) }
        let w = work.base
        let x = w, ln = x + S * C, qkv = ln + S * C, atty = qkv + S * 3 * C, fch = atty + S * C
        let fchG = fch + S * 4 * C, logits = fchG + S * 4 * C, mean = logits + S * V, rstd = mean + S
        let scratch = rstd + S, probs = scratch + maxLen
        let kv = cache.base, p = model.params.base, pl = model.layout

        var out = prompts.indices.map { _ in Completion(tokens: [], logProbs: [], finishReason: .length) }
        var done = limits.map { $0 == 0 }
        var active: [Int] = []
        var pos = 0
        while true {
            active.removeAll(keepingCapacity: true)
            for i in 0..<S where !done[i] { active.append(i) }
            if active.isEmpty { break }
            let n = active.count
            for (r, i) in active.enumerated() {
                let tok = pos < prompts[i].count ? prompts[i][pos] : out[i].tokens[pos - prompts[i].count]
                let e = p + pl.wte + Int(tok) * C, q = p + pl.wpe + pos * C, o = x + r * C
                for c in 0..<C { o[c] = e[c] + q[c] }
            }
            for l in 0..<L {
                let b = pl.blocks[l]
                let kL = kv + (l * 2) * S * maxLen * C, vL = kv + (l * 2 + 1) * S * maxLen * C
                layernormForward(ln, mean, rstd, x, p + b.ln1w, p + b.ln1b, N: n, C: C, eps: cfg.layerNormEpsilon)
                matmulForward(qkv, ln, p + b.attnW, p + b.attnB, N: n, C: C, OC: 3 * C)
                for (r, i) in active.enumerated() {
                    (kL + (i * maxLen + pos) * C).update(from: qkv + r * 3 * C + C, count: C)
                    (vL + (i * maxLen + pos) * C).update(from: qkv + r * 3 * C + 2 * C, count: C)
                }
                cachedAttentionForward(atty, qkv, kBase: { UnsafePointer(kL + active[$0] * maxLen * C) },
                                       vBase: { UnsafePointer(vL + active[$0] * maxLen * C) },
                                       scratch: scratch, n: n, pos: pos, C: C, H: H)
                for r in 0..<n { Vec.add(p + b.projB, x + r * C, C) }
                Blas.sgemm(transA: false, transB: false, m: n, n: C, k: C, a: atty, lda: C, b: p + b.projW, ldb: C,
                           beta: 1, c: x, ldc: C)
                layernormForward(ln, mean, rstd, x, p + b.ln2w, p + b.ln2b, N: n, C: C, eps: cfg.layerNormEpsilon)
                matmulForward(fch, ln, p + b.fcW, p + b.fcB, N: n, C: C, OC: 4 * C)
                geluForward(fchG, fch, N: n * 4 * C)
                for r in 0..<n { Vec.add(p + b.fcProjB, x + r * C, C) }
                Blas.sgemm(transA: false, transB: false, m: n, n: C, k: 4 * C, a: fchG, lda: 4 * C, b: p + b.fcProjW,
                           ldb: C, beta: 1, c: x, ldc: C)
            }
            layernormForward(ln, mean, rstd, x, p + pl.lnfw, p + pl.lnfb, N: n, C: C, eps: cfg.layerNormEpsilon)
            Blas.sgemm(transA: false, transB: true, m: n, n: V, k: C, a: ln, lda: C, b: p + pl.wte, ldb: C,
                       beta: 0, c: logits, ldc: V)
            for (r, i) in active.enumerated() where pos + 1 >= prompts[i].count {
                let (tok, lp) = pick(logits + r * V, V: V, options: options, probs: probs, rng: &rng)
                out[i].tokens.append(tok)
                out[i].logProbs.append(lp)
                if let end = options.endToken, tok == end {
                    out[i].finishReason = .endToken; done[i] = true
                } else if out[i].tokens.count >= limits[i] {
                    done[i] = true
                }
            }
            pos += 1
        }
        return out
    }

    /// Chooses the next token from one logits row and returns it with its log-prob under the
    /// distribution used: softmax(z/τ) restricted to the top-k (renormalised), or arg-max at τ = 1.
    func pick(_ z: UnsafeMutablePointer<Float>, V: Int, options: SamplingOptions,
              probs: UnsafeMutablePointer<Float>, rng: inout Xoshiro256) -> (Int32, Float) {
        if options.greedy {
            var best = 0
            for j in 1..<V where z[j] > z[best] { best = j }
            var s: Float = 0
            for j in 0..<V { s += exp(z[j] - z[best]) }
            return (Int32(best), -log(s))
        }
        let invT = 1 / options.temperature
        var m = -Float.infinity
        for j in 0..<V { z[j] *= invT; if z[j] > m { m = z[j] } }
        var threshold = -Float.infinity
        if let k = options.topK, k < V {
            let sorted = (0..<V).map { z[$0] }.sorted(by: >)
            threshold = sorted[k - 1]
        }
        var sum: Float = 0
        for j in 0..<V {
            let e: Float = z[j] >= threshold ? exp(z[j] - m) : 0
            probs[j] = e
            sum += e
        }
        let u = rng.nextUniform() * sum
        var acc: Float = 0, chosen = -1, lastKept = 0
        for j in 0..<V where probs[j] > 0 {
            lastKept = j
            acc += probs[j]
            if u < acc { chosen = j; break }
        }
        if chosen < 0 { chosen = lastKept }
        return (Int32(chosen), z[chosen] - m - log(sum))
    }
}
