// The Llama blocks of the batched sampler (Sampler.forwardRows): per row, RMSNorm, the fused
// q|k|v projection, RoPE at the row's own position, the row's key and value written into its
// slot of the KV cache (only the KV heads: [S, maxLen, kvDim] per layer), grouped-query attention
// over the cache, o_proj, and the SwiGLU MLP. Same maths as GPT+LlamaPasses.swift.
// Legend: n rows of the call, m rows of this range, C channels, H heads, KV kv heads,
// hs head size, F MLP width, D = C + 2·kvDim.

import Tensor

extension Sampler {
    /// Embedding, every block and the final RMSNorm for rows `range` of an `n`-row call. The work
    /// buffer holds x [n,C], ln [n,C], qkv [n,D], atty [n,C], gu [n,2F], h [n,F], rstd [n].
    func runLlamaBlocks(_ rows: Rows, _ range: Range<Int>, n: Int, maxLen: Int, S: Int) {
        let cfg = model.config, C = cfg.nEmbd, H = cfg.nHead, KV = cfg.nKVHead, hs = cfg.headSize
        let K = cfg.kvDim, D = C + 2 * K, F = cfg.intermediateSize, L = cfg.nLayer, eps = cfg.layerNormEpsilon
        let lo = range.lowerBound, m = range.count
        let w = work.base
        let x = w + lo * C, ln = w + n * C + lo * C, qkv = w + 2 * n * C + lo * D
        let atty = w + 2 * n * C + n * D + lo * C, gu = w + 3 * n * C + n * D + lo * 2 * F
        let h = w + 3 * n * C + n * D + 2 * n * F + lo * F
        let kv = cache.base, p = model.params.base, pl = model.layout.llama!
        let slotStride = maxLen * K, layerStride = S * slotStride
        let sl = rows.slot + lo, ps = rows.pos + lo, tk = rows.token + lo
        let cr = CacheRows(slots: sl, prefixSlots: rows.prefix + lo, shared: rows.shared + lo, positions: ps,
                           slotStride: slotStride, maxLen: maxLen)
        for r in 0..<m { (x + r * C).update(from: p + pl.embed + Int(tk[r]) * C, count: C) }
        model.ropeCos.withUnsafeBufferPointer { cosB in
        model.ropeSin.withUnsafeBufferPointer { sinB in
            for l in 0..<L {
                let b = pl.blocks[l]
                let kL = kv + (2 * l) * layerStride, vL = kv + (2 * l + 1) * layerStride
                rmsnormForward(ln, nil, x, p + b.ln1w, N: m, C: C, eps: eps)
                linearForward(qkv, ln, p + b.qkvW, b.qkvB >= 0 ? p + b.qkvB : nil, N: m, C: C, OC: D)
                ropeApply(qkv, stride: D, positions: { ps[$0] }, N: m, nh: H + KV, hs: hs,
                          cos: cosB.baseAddress!, sin: sinB.baseAddress!)
                for r in 0..<m {
                    let at = sl[r] * slotStride + ps[r] * K
                    (kL + at).update(from: qkv + r * D + C, count: K)
                    (vL + at).update(from: qkv + r * D + C + K, count: K)
                }
                cachedAttentionForward(atty, qkv, qStride: D, keys: kL, values: vL, rows: cr, n: m, H: H, KV: KV, hs: hs)
                linearForward(x, atty, p + b.oW, nil, N: m, C: C, OC: C, accumulate: true)
                rmsnormForward(ln, nil, x, p + b.ln2w, N: m, C: C, eps: eps)
                linearForward(gu, ln, p + b.gateUpW, nil, N: m, C: C, OC: 2 * F)
                swigluForward(h, gu, N: m, F: F)
                linearForward(x, h, p + b.downW, nil, N: m, C: F, OC: C, accumulate: true)
            }
        }
        }
        rmsnormForward(ln, nil, x, p + pl.normw, N: m, C: C, eps: eps)
    }
}
