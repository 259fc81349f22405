// Batched autoregressive sampling with a per-layer KV cache (design/MODEL.md "Sampling"):
// all sequences advance one position per step, so each step's projections are real
// [n × C]·[C × 3C] GEMMs over the n sequences still running. Both families (the Llama blocks
// are in Sampler+Llama.swift; its cache holds only the KV heads). Temperature, optional top-k
// and top-p (Sampler+Pick.swift); the log-prob of every sampled token is recorded under the
// distribution used.

import Foundation
import Tensor

/// How to sample. Codable; `topP` and `endTokens` are optional in the JSON (older encodings decode).
public struct SamplingOptions: Sendable, Equatable, Codable {
    /// Softmax temperature τ > 0 (ignored when `greedy`).
    public var temperature: Float
    /// Keep only the k most likely tokens (ties at the k-th value are kept too); nil = no truncation.
    public var topK: Int?
    /// Nucleus sampling (after temperature and top-k, as transformers orders them): keep the most
    /// likely tokens while the probability mass of those ranked above is < p; nil = off.
    public var topP: Float?
    /// Completion limit per sequence (also limited by n_positions − prompt length).
    public var maxNewTokens: Int
    /// Generation stops after this token is sampled (it is included in the completion).
    public var endToken: Int32?
    /// More end tokens (e.g. a chat model's `<|im_end|>` besides its EOS); same rule as `endToken`.
    public var endTokens: Set<Int32>
    /// Take the arg-max instead of sampling; log-probs are then under τ = 1.
    public var greedy: Bool

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, maxNewTokens: Int,
                endToken: Int32? = nil, endTokens: Set<Int32> = [], greedy: Bool = false) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.maxNewTokens = maxNewTokens
        self.endToken = endToken; self.endTokens = endTokens; self.greedy = greedy
    }

    /// Whether sampling `token` ends a completion.
    public func isEnd(_ token: Int32) -> Bool { token == endToken || endTokens.contains(token) }

    enum CodingKeys: String, CodingKey { case temperature, topK, topP, maxNewTokens, endToken, endTokens, greedy }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try c.decode(Float.self, forKey: .temperature)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        maxNewTokens = try c.decode(Int.self, forKey: .maxNewTokens)
        endToken = try c.decodeIfPresent(Int32.self, forKey: .endToken)
        endTokens = try c.decodeIfPresent(Set<Int32>.self, forKey: .endTokens) ?? []
        greedy = try c.decode(Bool.self, forKey: .greedy)
    }
}

/// Why a completion stopped — the one type for it: the sampler sets it, a rollout sample keeps
/// it, and the wire carries it (its codes are mapped in Sources/Rollout/WireMapping.swift).
public enum FinishReason: String, Sendable, Codable, Equatable, CaseIterable {
    /// An end token was sampled (and is the last completion token).
    case end
    /// The caller's stop rule ended it (a stop string).
    case stop
    /// The completion limit was reached first.
    case length
    /// Sampling failed for this completion (a worker still ships it; reward as the task says).
    case error
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
/// Identical prompts (a GRPO group) are prefilled once: their KV cache rows are computed in one
/// batched pass over all prompt positions into the first sequence's slot, which every sequence of
/// the group then reads for the prompt positions (its own slot holds only its completion), and
/// the first token of each sequence is drawn from the shared last-position logits. Every later step is one
/// [n × C]·[C × k] GEMM per projection over the n sequences still running.
///
/// Threading: not Sendable; use it on the thread that owns `model`. Buffers are reused across calls.
public final class Sampler {
    public let model: GPT
    var cache = FloatBuffer(count: 0)
    var work = FloatBuffer(count: 0)
    // Per-row metadata of the current batched step (reused across steps and calls).
    var rowSlot: [Int] = [], rowPos: [Int] = [], rowTok: [Int32] = [], rowPrefix: [Int] = [], rowShared: [Int] = []

    public init(model: GPT) { self.model = model }

    /// Samples one completion per prompt. Deterministic given `rng`'s state: one uniform draw per
    /// sampled token, in position order then prompt order. `stop`, when given, is asked after every
    /// sampled token that is not an end token (sequence index, its completion so far) and ends that
    /// completion when it answers true (finish reason `stop`; e.g. a stop string was decoded).
    public func generate(prompts: [[Int32]], options: SamplingOptions, rng: inout Xoshiro256,
                         stop: ((_ sequence: Int, _ completion: [Int32]) -> Bool)? = nil) throws -> [Completion] {
        let cfg = model.config
        let C = cfg.nEmbd, V = cfg.vocabSize, L = cfg.nLayer, S = prompts.count, KD = cfg.kvDim
        if S == 0 { return [] }
        guard options.maxNewTokens >= 0 else { throw PolicyError.badInput("maxNewTokens must be ≥ 0") }
        if !options.greedy {
            guard options.temperature > 0, options.temperature.isFinite else {
                throw PolicyError.badInput("temperature must be positive, got \(options.temperature)")
            }
            if let k = options.topK, k < 1 { throw PolicyError.badInput("topK must be ≥ 1, got \(k)") }
            if let p = options.topP, !(p > 0 && p <= 1) { throw PolicyError.badInput("topP must be in (0, 1], got \(p)") }
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
        let lens = prompts.map(\.count)
        let maxLen = zip(lens, limits).map { $0 + $1 }.max()!
        // Unique prompts: group[i] = u, rep[u] = the first sequence holding prompt u (its cache slot).
        var uniqueIndex: [[Int32]: Int] = [:]
        var group = [Int](repeating: 0, count: S), rep: [Int] = []
        for (i, p) in prompts.enumerated() {
            if let u = uniqueIndex[p] { group[i] = u } else { uniqueIndex[p] = rep.count; group[i] = rep.count; rep.append(i) }
        }
        let U = rep.count
        // Prefill runs in batches of whole prompts of at most `cap` rows (bounds the work buffer).
        let cap = max(1024, cfg.nPositions)
        let R = max(S, min(rep.reduce(0) { $0 + lens[$1] }, cap))
        // KV cache: per layer, keys then values, each [S, maxLen, kvDim].
        let slotStride = maxLen * KD, layerStride = S * slotStride
        if cache.count < L * 2 * layerStride { cache = FloatBuffer(count: L * 2 * layerStride) }
        if cfg.family == .llama { model.ensureRope(length: maxLen) }
        // Work: R rows of the blocks' buffers (forwardRows); S logits rows;
        // U gathered last prompt rows and their logits; probs; z.
        let perRow = workFloatsPerRow
        let workCount = R * perRow + S * V + U * (C + V) + 2 * V
        if work.count < workCount { work = FloatBuffer(count: workCount) }
        let logits = work.base + R * perRow, gather = logits + S * V, plog = gather + U * C
        let probs = plog + U * V, zrow = probs + V

        // Prefill every unique prompt at all its positions (into its representative's slot), a batch of
        // whole prompts per pass, then gather each prompt's last row for one head GEMM per batch.
        var u0 = 0
        while u0 < U {
            var u1 = u0, rows = 0
            while u1 < U, u1 == u0 || rows + lens[rep[u1]] <= cap { rows += lens[rep[u1]]; u1 += 1 }
            clearRows()
            for u in u0..<u1 {
                for (t, tok) in prompts[rep[u]].enumerated() { addRow(slot: rep[u], pos: t, token: tok, prefix: rep[u], shared: 0) }
            }
            let ln = forwardRows(n: rows, maxLen: maxLen, S: S)
            var last = 0
            for u in u0..<u1 {
                last += lens[rep[u]]
                (gather + u * C).update(from: ln + (last - 1) * C, count: C)
            }
            u0 = u1
        }
        head(plog, gather, n: U)

        var out = prompts.indices.map { _ in Completion(tokens: [], logProbs: [], finishReason: .length) }
        var done = limits.map { $0 == 0 }
        var remaining = done.filter { !$0 }.count
        var pos = lens.min()! - 1
        while remaining > 0 {
            // Rows: running sequences past their prompt feed their latest token at `pos`.
            clearRows()
            for i in 0..<S where !done[i] && pos >= lens[i] {
                addRow(slot: i, pos: pos, token: out[i].tokens[pos - lens[i]], prefix: rep[group[i]], shared: lens[i])
            }
            let n = rowSlot.count
            if n > 0 { head(logits, forwardRows(n: n, maxLen: maxLen, S: S, independent: true), n: n) }
            var r = 0
            for i in 0..<S where !done[i] && pos >= lens[i] - 1 {
                let z: UnsafeMutablePointer<Float>
                if pos == lens[i] - 1 { zrow.update(from: plog + group[i] * V, count: V); z = zrow } else { z = logits + r * V; r += 1 }
                let (tok, lp) = pick(z, V: V, options: options, probs: probs, rng: &rng)
                out[i].tokens.append(tok)
                out[i].logProbs.append(lp)
                if options.isEnd(tok) {
                    out[i].finishReason = .end; done[i] = true
                } else if let stop, stop(i, out[i].tokens) {
                    out[i].finishReason = .stop; done[i] = true
                } else if out[i].tokens.count >= limits[i] {
                    done[i] = true
                }
                if done[i] { remaining -= 1 }
            }
            pos += 1
        }
        return out
    }

    func clearRows() {
        rowSlot.removeAll(keepingCapacity: true); rowPos.removeAll(keepingCapacity: true)
        rowTok.removeAll(keepingCapacity: true); rowPrefix.removeAll(keepingCapacity: true)
        rowShared.removeAll(keepingCapacity: true)
    }

    /// One row of the next batched step: sequence slot, position, input token, and the slot whose cache
    /// holds positions below `shared` (the shared prompt).
    func addRow(slot: Int, pos: Int, token: Int32, prefix: Int, shared: Int) {
        rowSlot.append(slot); rowPos.append(pos); rowTok.append(token); rowPrefix.append(prefix); rowShared.append(shared)
    }

    /// logits[n, V] = ln[n, C] · Wᵀ (W = the tied embedding or lm_head.weight).
    func head(_ logits: UnsafeMutablePointer<Float>, _ ln: UnsafePointer<Float>, n: Int) {
        let p = model.params.base, V = model.config.vocabSize, C = model.config.nEmbd
        Blas.sgemm(transA: false, transB: true, m: n, n: V, k: C, a: ln, lda: C, b: p + model.layout.head, ldb: C,
                   beta: 0, c: logits, ldc: V)
    }

    /// Floats of work buffer per row of a `forwardRows` call (the block buffers of the family).
    var workFloatsPerRow: Int {
        let cfg = model.config, C = cfg.nEmbd, F = cfg.intermediateSize
        switch cfg.family {
        case .gpt2: return 6 * C + 2 * F + 2          // x, ln, qkv(3C), atty, fch, fchGelu, mean, rstd
        case .llama: return 3 * C + 2 * cfg.kvDim + 3 * F + 1  // x, ln, qkv(C+2K), atty, gu(2F), h, rstd
        }
    }

    /// Runs the rows described by `rowSlot/rowPos/rowTok/rowPrefix/rowShared` (see `addRow`)
    /// through every block, writing each row's key and value into its slot's cache at its position
    /// before attention (so rows of one prompt see each other causally). Returns the final
    /// LayerNorm output [n, C] (inside the work buffer).
    ///
    /// `independent`: no row reads a key/value written by another row in this call (decode steps,
    /// where the shared prompts are already cached). Then the rows are split between threads once and
    /// each thread runs the whole block stack on its rows (single-threaded GEMMs), instead of ~6
    /// fork–joins per layer; for the prefill, each operation is parallel on its own. Models whose
    /// parameters exceed `rowSplitMaxParameters` never split rows: each thread would stream all the
    /// weights from memory, so the GEMMs are split by columns instead (each weight read once).
    func forwardRows(n: Int, maxLen: Int, S: Int, independent: Bool = false) -> UnsafeMutablePointer<Float> {
        let C = model.config.nEmbd
        let x = work.base, ln = x + n * C
        rowSlot.withUnsafeBufferPointer { slots in
        rowPos.withUnsafeBufferPointer { positions in
        rowTok.withUnsafeBufferPointer { toks in
        rowPrefix.withUnsafeBufferPointer { prefixes in
        rowShared.withUnsafeBufferPointer { shared in
            let rows = Rows(slot: slots.baseAddress!, pos: positions.baseAddress!, token: toks.baseAddress!,
                            prefix: prefixes.baseAddress!, shared: shared.baseAddress!)
            let llama = model.config.family == .llama
            let run = { (r: Range<Int>) in
                if llama { self.runLlamaBlocks(rows, r, n: n, maxLen: maxLen, S: S) } else { self.runBlocks(rows, r, n: n, maxLen: maxLen, S: S) }
            }
            if independent && model.parameterCount <= Self.rowSplitMaxParameters {
                Parallel.forChunks(n, grain: 32) { r in run(r) }
            } else {
                run(0..<n)
            }
        }
        }
        }
        }
        }
        return ln
    }

    /// Largest model (parameters) whose decode steps split rows between threads: the presets (up to
    /// ~5 M parameters) keep their weights in cache; SmolLM2-sized models (10⁸) stream them from memory.
    static let rowSplitMaxParameters = 16_000_000

    /// Row metadata pointers of one `forwardRows` call.
    struct Rows {
        var slot: UnsafePointer<Int>, pos: UnsafePointer<Int>, token: UnsafePointer<Int32>
        var prefix: UnsafePointer<Int>, shared: UnsafePointer<Int>
    }

    /// GPT-2: embedding, every block and the final LayerNorm for rows `range` of an `n`-row call.
    func runBlocks(_ rows: Rows, _ range: Range<Int>, n: Int, maxLen: Int, S: Int) {
        let cfg = model.config, C = cfg.nEmbd, H = cfg.nHead, L = cfg.nLayer, eps = cfg.layerNormEpsilon
        let F = cfg.intermediateSize
        let lo = range.lowerBound, m = range.count
        let w = work.base
        // The [n, ·] arrays of the call, offset to this range's first row.
        let x = w + lo * C, ln = w + n * C + lo * C, qkv = w + 2 * n * C + lo * 3 * C
        let atty = w + 5 * n * C + lo * C, fch = w + 6 * n * C + lo * F, fchG = w + 6 * n * C + n * F + lo * F
        let mean = w + 6 * n * C + 2 * n * F + lo, rstd = mean + n
        let kv = cache.base, p = model.params.base, pl = model.layout.gpt2!
        let slotStride = maxLen * C, layerStride = S * slotStride
        let sl = rows.slot + lo, ps = rows.pos + lo, tk = rows.token + lo
        let cr = CacheRows(slots: sl, prefixSlots: rows.prefix + lo, shared: rows.shared + lo, positions: ps,
                           slotStride: slotStride, maxLen: maxLen)
        for r in 0..<m {
            let e = p + pl.wte + Int(tk[r]) * C, q = p + pl.wpe + ps[r] * C, o = x + r * C
            for c in 0..<C { o[c] = e[c] + q[c] }
        }
        for l in 0..<L {
            let b = pl.blocks[l]
            let kL = kv + (2 * l) * layerStride, vL = kv + (2 * l + 1) * layerStride
            layernormForward(ln, mean, rstd, x, p + b.ln1w, p + b.ln1b, N: m, C: C, eps: eps)
            matmulForward(qkv, ln, p + b.attnW, p + b.attnB, N: m, C: C, OC: 3 * C)
            for r in 0..<m {
                let at = sl[r] * slotStride + ps[r] * C
                (kL + at).update(from: qkv + r * 3 * C + C, count: C)
                (vL + at).update(from: qkv + r * 3 * C + 2 * C, count: C)
            }
            cachedAttentionForward(atty, qkv, qStride: 3 * C, keys: kL, values: vL, rows: cr, n: m, H: H, KV: H, hs: C / H)
            for r in 0..<m { Vec.add(p + b.projB, x + r * C, C) }
            Blas.sgemm(transA: false, transB: false, m: m, n: C, k: C, a: atty, lda: C, b: p + b.projW, ldb: C,
                       beta: 1, c: x, ldc: C)
            layernormForward(ln, mean, rstd, x, p + b.ln2w, p + b.ln2b, N: m, C: C, eps: eps)
            matmulForward(fch, ln, p + b.fcW, p + b.fcB, N: m, C: C, OC: F)
            geluForward(fchG, fch, N: m * F)
            for r in 0..<m { Vec.add(p + b.fcProjB, x + r * C, C) }
            Blas.sgemm(transA: false, transB: false, m: m, n: C, k: F, a: fchG, lda: F, b: p + b.fcProjW,
                       ldb: C, beta: 1, c: x, ldc: C)
        }
        layernormForward(ln, mean, rstd, x, p + pl.lnfw, p + pl.lnfb, N: m, C: C, eps: eps)
    }
}
