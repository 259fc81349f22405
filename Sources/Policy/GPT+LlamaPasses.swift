// The Llama-family causal forward pass over B sequences of T tokens (caching the lean activations
// of LlamaActivationLayout) and the hand-written backward from per-position dLoss/dlog p and dLoss/dH:
//   x = embed[token]
//   per block: a = RMSNorm(x; ln1);  q|k|v = a·Wqkvᵀ (+ b);  q, k ← RoPE(q, k; position)
//              x = x + GQA(q, k, v)·Woᵀ
//              m = RMSNorm(x; ln2);  x = x + (silu(m·Wgateᵀ) ⊙ m·Wupᵀ)·Wdownᵀ
//   logits = RMSNorm(x; norm)·Wheadᵀ   (GPT+Head.swift, chunked)
// ALP noise is added to x before each selected block's first norm, as in the GPT-2 pass.
// Legend: B batch, T time, C channels, H heads, KV kv heads, hs head size, F MLP width,
// D = C + 2·KV·hs (fused q|k|v row); N = B·T rows.

import Tensor

extension GPT {
    /// Forward for the Llama family (validated inputs; `self.tokens` and `cachedShape` already set).
    func llamaForward(B: Int, T: Int, perturbStep: UInt64?, shared: Bool) {
        let cfg = config, N = B * T, C = cfg.nEmbd, H = cfg.nHead, KV = cfg.nKVHead, hs = cfg.headSize
        let F = cfg.intermediateSize, D = C + 2 * cfg.kvDim, eps = cfg.layerNormEpsilon
        let al = LlamaActivationLayout(cfg, B: B, T: T, shared: shared)
        if acts.count < al.count { acts = FloatBuffer(count: al.count) }
        llamaActs = al
        ensureRope(length: T)
        let a = acts.base, p = params.base, pl = layout.llama!
        for r in 0..<N { (a + al.encoded + r * C).update(from: p + pl.embed + Int(tokens[r]) * C, count: C) }
        alpApplied = 0..<0
        if perturbStep != nil, alp.enabled { alpApplied = alp.layerRange(nLayer: cfg.nLayer) }
        ropeCos.withUnsafeBufferPointer { cosB in
        ropeSin.withUnsafeBufferPointer { sinB in
            for l in 0..<cfg.nLayer {
                let w = pl.blocks[l], s = al.blocks[l]
                let residual = l == 0 ? a + al.encoded : a + al.blocks[l - 1].res3
                if let step = perturbStep, alpApplied.contains(l) { applyALPNoise(residual, layer: l, step: step, N: N) }
                rmsnormForward(a + al.ln, a + s.rstd1, residual, p + w.ln1w, N: N, C: C, eps: eps)
                linearForward(a + s.qkv, a + al.ln, p + w.qkvW, w.qkvB >= 0 ? p + w.qkvB : nil, N: N, C: C, OC: D)
                ropeApply(a + s.qkv, stride: D, positions: { $0 % T }, N: N, nh: H + KV, hs: hs,
                          cos: cosB.baseAddress!, sin: sinB.baseAddress!)
                gqaForward(a + s.atty, a + s.lse, a + s.qkv, B: B, T: T, H: H, KV: KV, hs: hs)
                (a + s.res2).update(from: residual, count: N * C)
                linearForward(a + s.res2, a + s.atty, p + w.oW, nil, N: N, C: C, OC: C, accumulate: true)
                rmsnormForward(a + al.ln, a + s.rstd2, a + s.res2, p + w.ln2w, N: N, C: C, eps: eps)
                linearForward(a + s.gu, a + al.ln, p + w.gateUpW, nil, N: N, C: C, OC: 2 * F)
                swigluForward(a + al.h, a + s.gu, N: N, F: F)
                (a + s.res3).update(from: a + s.res2, count: N * C)
                linearForward(a + s.res3, a + al.h, p + w.downW, nil, N: N, C: F, OC: C, accumulate: true)
            }
        }
        }
        let last = cfg.nLayer > 0 ? a + al.blocks[cfg.nLayer - 1].res3 : a + al.encoded
        rmsnormForward(a + al.lnf, a + al.rstdf, last, p + pl.normw, N: N, C: C, eps: eps)
        headForward(a + al.lnf, B: B, T: T)
    }

    /// Backward for the Llama family; ACCUMULATES into `grads` (see `backward(dLogProbs:dEntropy:dPreviousKL:previous:)`).
    func llamaBackward(_ dLogProbs: [Float], _ dEntropy: [Float]?, dPreviousKL: [Float]?,
                       previous: (x: UnsafePointer<Float>, w: UnsafePointer<Float>, channels: Int)?, B: Int, T: Int) {
        guard let al = llamaActs else { return }
        let cfg = config, N = B * T, C = cfg.nEmbd, H = cfg.nHead, KV = cfg.nKVHead, hs = cfg.headSize
        let F = cfg.intermediateSize, D = C + 2 * cfg.kvDim, eps = cfg.layerNormEpsilon
        let a = acts.base, p = params.base, g = grads.base, pl = layout.llama!
        let dres = a + al.dres
        headBackward(a + al.dln, a + al.lnf, dLogProbs: dLogProbs, dEntropy: dEntropy, dPreviousKL: dPreviousKL,
                     previous: previous, B: B, T: T)
        dres.update(repeating: 0, count: N * C)
        let last = cfg.nLayer > 0 ? a + al.blocks[cfg.nLayer - 1].res3 : a + al.encoded
        rmsnormBackward(dres, g + pl.normw, a + al.dln, last, p + pl.normw, a + al.rstdf, N: N, C: C)
        ropeCos.withUnsafeBufferPointer { cosB in
        ropeSin.withUnsafeBufferPointer { sinB in
            for l in stride(from: cfg.nLayer - 1, through: 0, by: -1) {
                let w = pl.blocks[l], s = al.blocks[l]
                let residual = l == 0 ? a + al.encoded : a + al.blocks[l - 1].res3
                // MLP branch: res3 = res2 + swiglu(RMSNorm(res2)·Wguᵀ)·Wdownᵀ (norm and h recomputed).
                rmsnormForward(a + al.ln, nil, a + s.res2, p + w.ln2w, N: N, C: C, eps: eps)
                swigluForward(a + al.h, a + s.gu, N: N, F: F)
                linearBackward(a + al.h, g + w.downW, nil, dres, a + al.h, p + w.downW, N: N, C: F, OC: C)
                swigluBackward(a + al.dgu, a + al.h, a + s.gu, N: N, F: F)
                linearBackward(a + al.dln, g + w.gateUpW, nil, a + al.dgu, a + al.ln, p + w.gateUpW, N: N, C: C, OC: 2 * F)
                rmsnormBackward(dres, g + w.ln2w, a + al.dln, a + s.res2, p + w.ln2w, a + s.rstd2, N: N, C: C)
                // Attention branch: res2 = residual + GQA(RoPE(RMSNorm(residual)·Wqkvᵀ))·Woᵀ.
                linearBackward(a + al.datty, g + w.oW, nil, dres, a + s.atty, p + w.oW, N: N, C: C, OC: C)
                gqaBackward(a + al.dqkv, a + al.datty, a + s.qkv, a + s.lse, B: B, T: T, H: H, KV: KV, hs: hs)
                ropeApply(a + al.dqkv, stride: D, positions: { $0 % T }, N: N, nh: H + KV, hs: hs,
                          cos: cosB.baseAddress!, sin: sinB.baseAddress!, inverse: true)
                rmsnormForward(a + al.ln, nil, residual, p + w.ln1w, N: N, C: C, eps: eps)
                linearBackward(a + al.dln, g + w.qkvW, w.qkvB >= 0 ? g + w.qkvB : nil, a + al.dqkv, a + al.ln,
                               p + w.qkvW, N: N, C: C, OC: D)
                rmsnormBackward(dres, g + w.ln1w, a + al.dln, residual, p + w.ln1w, a + s.rstd1, N: N, C: C)
                // dres is now ∂loss/∂h_l at the (perturbed) block input.
                if alpApplied.contains(l), alp.learnable { accumulateALPGradient(dres, layer: l, N: N) }
            }
        }
        }
        for r in 0..<N { Vec.add(dres + r * C, g + pl.embed + Int(tokens[r]) * C, C) }
    }
}
