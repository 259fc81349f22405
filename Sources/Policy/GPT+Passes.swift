// The GPT-2 causal forward pass over B sequences of T tokens (caching activations) and the
// backward pass from per-position dLoss/dlog p and dLoss/dH (design/MODEL.md "Forward pass"); `forward` and
// `backward` dispatch to the Llama passes (GPT+LlamaPasses.swift) for that family.
// Legend: B batch, T time, C channels, V vocab, H heads, L layers, F MLP width; N = B·T rows.

import Tensor

extension GPT {
    /// Runs the causal forward pass over `tokens` ([B,T] row-major) and caches every
    /// activation needed by `backward`. Returns the per-position log-probs (see `logProbs()`).
    /// `perturbStep`: pass the optimizer step in the policy-update forward pass to add ALP noise
    /// (ALP.swift; only when `alp.enabled`); nil — the default, for sampling, evaluation and
    /// old/reference log-probs — never perturbs.
    /// `forBackward: false` runs an inference-only forward (evaluation, old/reference log-probs): all
    /// blocks share one block's buffers (`ModelConfig.activationBytesPerToken(length:forBackward:)`),
    /// log-probs, entropies, greedy tokens and logits are available, `backward` is refused.
    @discardableResult
    public func forward(tokens: [Int32], batch B: Int, length T: Int, perturbStep: UInt64? = nil,
                        forBackward: Bool = true) throws -> [Float] {
        let cfg = config
        let C = cfg.nEmbd, V = cfg.vocabSize, H = cfg.nHead, N = B * T, F = cfg.intermediateSize
        guard B > 0, T > 0 else { throw PolicyError.badInput("batch \(B) and length \(T) must be positive") }
        guard T <= cfg.nPositions else {
            throw PolicyError.badInput("length \(T) exceeds n_positions \(cfg.nPositions)")
        }
        guard tokens.count == N else {
            throw PolicyError.badInput("expected \(N) tokens (B \(B) × T \(T)), got \(tokens.count)")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= V }) {
            throw PolicyError.badInput("token \(tokens[bad]) at index \(bad) is outside the vocabulary 0..<\(V)")
        }
        self.tokens = tokens
        cachedShape = (B, T)
        cachedForBackward = forBackward
        if cfg.family == .llama { llamaForward(B: B, T: T, perturbStep: perturbStep, shared: !forBackward); return logProbs() }
        let al = ActivationLayout(cfg, B: B, T: T, shared: !forBackward)
        if acts.count < al.count { acts = FloatBuffer(count: al.count) }
        actLayout = al
        let a = acts.base, p = params.base, pl = layout.gpt2!
        tokens.withUnsafeBufferPointer { tok in
            encoderForward(a + al.encoded, tok.baseAddress!, p + pl.wte, p + pl.wpe, B: B, T: T, C: C)
        }
        alpApplied = 0..<0
        if perturbStep != nil, alp.enabled { alpApplied = alp.layerRange(nLayer: cfg.nLayer) }
        for l in 0..<cfg.nLayer {
            let w = pl.blocks[l], s = al.blocks[l]
            let residual = l == 0 ? a + al.encoded : a + al.blocks[l - 1].res3
            // ALP: h_l ← h_l + σ_l ε_l in place, before ln_1 (the residual path carries it on too).
            if let step = perturbStep, alpApplied.contains(l) { applyALPNoise(residual, layer: l, step: step, N: N) }
            layernormForward(a + s.ln1, a + s.ln1Mean, a + s.ln1Rstd, residual, p + w.ln1w, p + w.ln1b,
                             N: N, C: C, eps: cfg.layerNormEpsilon)
            matmulForward(a + s.qkv, a + s.ln1, p + w.attnW, p + w.attnB, N: N, C: C, OC: 3 * C)
            attentionForward(a + s.atty, a + s.att, a + s.qkv, B: B, T: T, C: C, H: H)
            // res2 = residual + atty·Wproj + b (GEMM accumulates onto the copied residual)
            addBiasRows(a + s.res2, residual, p + w.projB, N: N, C: C)
            Blas.sgemm(transA: false, transB: false, m: N, n: C, k: C, a: a + s.atty, lda: C, b: p + w.projW,
                       ldb: C, beta: 1, c: a + s.res2, ldc: C)
            layernormForward(a + s.ln2, a + s.ln2Mean, a + s.ln2Rstd, a + s.res2, p + w.ln2w, p + w.ln2b,
                             N: N, C: C, eps: cfg.layerNormEpsilon)
            matmulForward(a + s.fch, a + s.ln2, p + w.fcW, p + w.fcB, N: N, C: C, OC: F)
            geluForward(a + s.fchGelu, a + s.fch, N: N * F)
            addBiasRows(a + s.res3, a + s.res2, p + w.fcProjB, N: N, C: C)
            Blas.sgemm(transA: false, transB: false, m: N, n: C, k: F, a: a + s.fchGelu, lda: F,
                       b: p + w.fcProjW, ldb: C, beta: 1, c: a + s.res3, ldc: C)
        }
        let lastResidual = cfg.nLayer > 0 ? a + al.blocks[cfg.nLayer - 1].res3 : a + al.encoded
        layernormForward(a + al.lnf, a + al.lnfMean, a + al.lnfRstd, lastResidual, p + pl.lnfw, p + pl.lnfb,
                         N: N, C: C, eps: cfg.layerNormEpsilon)
        headForward(a + al.lnf, B: B, T: T)
        return logProbs()
    }

    /// Backward pass from `dLogProbs` ([B·T], dLoss/d log p per position; position 0 and unused
    /// positions 0) and, optionally, `dEntropy` ([B·T], dLoss/dH per position, H the exact entropy
    /// of `entropies()`; nil = no entropy term) and `dPreviousKL` ([B·T], dLoss/dKL per position for
    /// KL(π_θ ‖ π_prev) of `previousKL(to: previous)`; `previous` must still hold its forward on the
    /// same tokens). ACCUMULATES into `grads`: call `zeroGradients()` first for a fresh gradient.
    /// Uses dlogits = g·(onehot − p) − e·p ∘ (log p + H) + k·p ∘ (log p − log q − KL); the tied
    /// `wte` receives both the head and embedding terms. Cross-entropy is `dLogProbs = −mask / count`.
    public func backward(dLogProbs: [Float], dEntropy: [Float]? = nil, dPreviousKL: [Float]? = nil,
                         previous: GPT? = nil) throws {
        guard let (B, T) = cachedShape else { throw PolicyError.badInput("backward called before forward") }
        guard cachedForBackward else { throw PolicyError.badInput("backward after a forward with forBackward: false") }
        guard grads.count == layout.count else { throw PolicyError.badInput("backward on an inference-only model") }
        let N = B * T
        guard dLogProbs.count == N else {
            throw PolicyError.badInput("dLogProbs has \(dLogProbs.count) entries, expected B·T = \(N)")
        }
        if let e = dEntropy {
            guard e.count == N else { throw PolicyError.badInput("dEntropy has \(e.count) entries, expected B·T = \(N)") }
            if let bad = e.firstIndex(where: { !$0.isFinite }) {
                throw PolicyError.badInput("dEntropy[\(bad)] is not finite (\(e[bad]))")
            }
        }
        let dEntropy = dEntropy?.contains { $0 != 0 } == true ? dEntropy : nil
        var prev: (x: UnsafePointer<Float>, w: UnsafePointer<Float>, channels: Int)? = nil
        var dPreviousKL = dPreviousKL?.contains { $0 != 0 } == true ? dPreviousKL : nil
        if let k = dPreviousKL {
            guard k.count == N else { throw PolicyError.badInput("dPreviousKL has \(k.count) entries, expected B·T = \(N)") }
            if let bad = k.firstIndex(where: { !$0.isFinite }) {
                throw PolicyError.badInput("dPreviousKL[\(bad)] is not finite (\(k[bad]))")
            }
            guard let previous else { throw PolicyError.badInput("dPreviousKL needs the previous policy (previous: nil)") }
            let (px, pw) = try checkPrevious(previous)
            prev = (px, pw, previous.config.nEmbd)
        } else {
            dPreviousKL = nil
        }
        if config.family == .llama {
            llamaBackward(dLogProbs, dEntropy, dPreviousKL: dPreviousKL, previous: prev, B: B, T: T)
            return
        }
        guard let al = actLayout else { throw PolicyError.badInput("backward called before forward") }
        let cfg = config, C = cfg.nEmbd, H = cfg.nHead, F = cfg.intermediateSize
        let a = acts.base, p = params.base, g = grads.base, pl = layout.gpt2!
        // Head (chunked): dlnf and the head weight's gradient (wte when tied).
        headBackward(a + al.dln, a + al.lnf, dLogProbs: dLogProbs, dEntropy: dEntropy, dPreviousKL: dPreviousKL,
                     previous: prev, B: B, T: T)
        let dres = a + al.dres
        dres.update(repeating: 0, count: N * C)
        let lastResidual = cfg.nLayer > 0 ? a + al.blocks[cfg.nLayer - 1].res3 : a + al.encoded
        layernormBackward(dres, g + pl.lnfw, g + pl.lnfb, a + al.dln, lastResidual, p + pl.lnfw,
                          a + al.lnfMean, a + al.lnfRstd, N: N, C: C)
        // dres now holds dLoss/d(residual stream); each block adds its branch's contribution.
        for l in stride(from: cfg.nLayer - 1, through: 0, by: -1) {
            let w = pl.blocks[l], s = al.blocks[l]
            let residual = l == 0 ? a + al.encoded : a + al.blocks[l - 1].res3
            // MLP branch: res3 = res2 + gelu(ln2·Wfc + bfc)·Wproj + bproj
            matmulBackward(a + al.dfch, g + w.fcProjW, g + w.fcProjB, dres, a + s.fchGelu, p + w.fcProjW,
                           N: N, C: F, OC: C)
            geluBackward(a + al.dfch, a + s.fch, a + al.dfch, N: N * F)
            matmulBackward(a + al.dln, g + w.fcW, g + w.fcB, a + al.dfch, a + s.ln2, p + w.fcW,
                           N: N, C: C, OC: F)
            layernormBackward(dres, g + w.ln2w, g + w.ln2b, a + al.dln, a + s.res2, p + w.ln2w,
                              a + s.ln2Mean, a + s.ln2Rstd, N: N, C: C)
            // Attention branch: res2 = residual + attn(ln1)·Wproj + bproj
            matmulBackward(a + al.datty, g + w.projW, g + w.projB, dres, a + s.atty, p + w.projW,
                           N: N, C: C, OC: C)
            attentionBackward(a + al.dqkv, a + al.datty, a + s.qkv, a + s.att,
                              B: B, T: T, C: C, H: H)
            matmulBackward(a + al.dln, g + w.attnW, g + w.attnB, a + al.dqkv, a + s.ln1, p + w.attnW,
                           N: N, C: C, OC: 3 * C)
            layernormBackward(dres, g + w.ln1w, g + w.ln1b, a + al.dln, residual, p + w.ln1w,
                              a + s.ln1Mean, a + s.ln1Rstd, N: N, C: C)
            // dres is now ∂loss/∂h_l at the (perturbed) block input: d s_l = σ_l Σ dres ⊙ ε_l.
            if alpApplied.contains(l), alp.learnable { accumulateALPGradient(dres, layer: l, N: N) }
        }
        tokens.withUnsafeBufferPointer { tok in
            encoderBackward(g + pl.wte, g + pl.wpe, dres, tok.baseAddress!, B: B, T: T, C: C)
        }
    }
}
