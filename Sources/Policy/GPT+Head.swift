// The LM head and per-position log-probs for both families, in row chunks: logits = x · Wᵀ
// (W = the tied embedding or lm_head.weight, [V, C]) for at most `headChunkRows` rows at a time,
// keeping only each row's log-sum-exp, entropy and the log-prob of the next token. Backward
// recomputes a chunk's logits from the cached final-norm output, so no [B·T, V] tensor is ever
// materialised; rows whose dLoss/dlog p and dLoss/dH are 0 (prompt and padding positions) are
// skipped. The entropy term's gradient dH/dlogits = −p ∘ (log p + H) is applied in the same pass.
// Legend: B batch, T time, C channels, V vocab, N = B·T rows, R rows per chunk.

import Tensor

extension GPT {
    /// Floats of logits scratch per chunk (32 MB).
    static let headChunkFloats = 1 << 23

    /// Rows per head chunk: as many as fit `headChunkFloats`, between 8 and 4096.
    var headChunkRows: Int { max(8, min(4096, Self.headChunkFloats / config.vocabSize)) }

    private func headScratch(rows R: Int) -> UnsafeMutablePointer<Float> {
        let need = R * config.vocabSize + 2 * R * config.nEmbd
        if headScratch.count < need { headScratch = FloatBuffer(count: need) }
        return headScratch.base
    }

    /// Fills `headLSE`, `headEntropy` and `headLogProbs` from the final-norm output `x` [B·T, C]:
    /// headLogProbs[b,t] = logits[b,t−1,tokens[b,t]] − lse[b,t−1] (0 at t = 0), entropy likewise
    /// indexed by the predicted position.
    func headForward(_ x: UnsafePointer<Float>, B: Int, T: Int) {
        let N = B * T, C = config.nEmbd, V = config.vocabSize, R = min(N, headChunkRows)
        let logits = headScratch(rows: R), w = params.base + layout.head
        var lse = [Float](repeating: 0, count: N), ent = [Float](repeating: 0, count: N)
        var lp = [Float](repeating: 0, count: N), am = [Int32](repeating: -1, count: N)
        var cv = [Float](repeating: 0, count: tracksCurvature ? N : 0)
        let curvature = tracksCurvature
        cv.withUnsafeMutableBufferPointer { cvB in
        am.withUnsafeMutableBufferPointer { amB in
        lse.withUnsafeMutableBufferPointer { lseB in
        ent.withUnsafeMutableBufferPointer { entB in
        lp.withUnsafeMutableBufferPointer { lpB in
        tokens.withUnsafeBufferPointer { tokB in
            let lseP = lseB.baseAddress!, entP = entB.baseAddress!, lpP = lpB.baseAddress!, tok = tokB.baseAddress!
            let amP = amB.baseAddress!, cvP = cvB.baseAddress
            var r0 = 0
            while r0 < N {
                let n = min(R, N - r0)
                Blas.sgemm(transA: false, transB: true, m: n, n: V, k: C, a: x + r0 * C, lda: C, b: w, ldb: C,
                           beta: 0, c: logits, ldc: V)
                Parallel.forChunks(n, grain: 4) { rows in
                    for i in rows {
                        let r = r0 + i, row = logits + i * V
                        let (l, h, best) = logitsRowStats(row, V: V)
                        lseP[r] = l
                        if (r + 1) % T != 0 {  // row r predicts position r + 1 of the same sequence
                            entP[r + 1] = h
                            amP[r + 1] = Int32(best)
                            lpP[r + 1] = row[Int(tok[r + 1])] - l
                            if curvature, let cvP { cvP[r + 1] = logitsRowCurvature(row, lse: l, token: Int(tok[r + 1]), V: V) }
                        }
                    }
                }
                r0 += n
            }
        }
        }
        }
        }
        }
        }
        headLSE = lse; headEntropy = ent; headLogProbs = lp; headArgmax = am; headCurvature = cv
    }

    /// dx [B·T, C] (overwritten) = ∂/∂x of Σ g_t·log p_t + e_t·H_t, and the head weight's gradient
    /// accumulated: dW += dlogitsᵀ · x, with dlogits = g·(onehot − p) − e·p ∘ (log p + H) recomputed
    /// per chunk (`e` nil: no entropy term).
    func headBackward(_ dx: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, dLogProbs g: UnsafePointer<Float>,
                      dEntropy e: UnsafePointer<Float>?, previousKL kt: PreviousKLTerm? = nil, B: Int, T: Int) {
        let N = B * T, C = config.nEmbd, V = config.vocabSize, R = min(N, headChunkRows)
        let logits = headScratch(rows: R), xs = logits + R * V, dxs = xs + R * C
        let w = params.base + layout.head, dw = grads.base + layout.head
        dx.update(repeating: 0, count: N * C)
        // The previous policy's logits rows for the KL term (PreviousKL.swift), chunk by chunk.
        let prevScratch = FloatBuffer(count: kt == nil ? 0 : R * V + R * (kt?.channels ?? 0))
        // Rows with a gradient: row r carries g[r + 1] (and e[r + 1], d_KL[r + 1]) for the next position.
        var live: [Int] = []
        for r in 0..<N where (r + 1) % T != 0
            && (g[r + 1] != 0 || (e.map { $0[r + 1] != 0 } ?? false) || (kt.map { $0.d[r + 1] != 0 } ?? false)) {
            live.append(r)
        }
        live.withUnsafeBufferPointer { liveB in
        headEntropy.withUnsafeBufferPointer { entB in
        tokens.withUnsafeBufferPointer { tokB in
        headLSE.withUnsafeBufferPointer { lseB in
            let rowsP = liveB.baseAddress, tok = tokB.baseAddress!, lse = lseB.baseAddress!, ent = entB.baseAddress!
            var i0 = 0
            while i0 < live.count, let rowsP {
                let n = min(R, live.count - i0)
                for i in 0..<n { (xs + i * C).update(from: x + rowsP[i0 + i] * C, count: C) }
                Blas.sgemm(transA: false, transB: true, m: n, n: V, k: C, a: xs, lda: C, b: w, ldb: C,
                           beta: 0, c: logits, ldc: V)
                if let kt {
                    let Cp = kt.channels, pu = prevScratch.base, pxs = pu + R * V
                    for i in 0..<n { (pxs + i * Cp).update(from: kt.x + rowsP[i0 + i] * Cp, count: Cp) }
                    Blas.sgemm(transA: false, transB: true, m: n, n: V, k: Cp, a: pxs, lda: Cp, b: kt.w, ldb: Cp,
                               beta: 0, c: pu, ldc: V)
                }
                let pu = kt == nil ? nil : UnsafePointer(prevScratch.base)
                Parallel.forChunks(n, grain: 4) { rows in
                    for i in rows {
                        let r = rowsP[i0 + i]
                        if let kt, let pu, kt.d[r + 1] != 0 {
                            logitsRowBackwardKL(logits + i * V, lse: lse[r], g: g[r + 1], token: Int(tok[r + 1]), V: V,
                                                entropyCoef: e?[r + 1] ?? 0, entropy: ent[r + 1], previous: pu + i * V,
                                                klCoef: kt.d[r + 1])
                        } else {
                            logitsRowBackward(logits + i * V, lse: lse[r], g: g[r + 1], token: Int(tok[r + 1]), V: V,
                                              entropyCoef: e?[r + 1] ?? 0, entropy: ent[r + 1])
                        }
                    }
                }
                // dxs = dlogits · W [n, C]; dW += dlogitsᵀ · xs [V, C].
                Blas.sgemm(transA: false, transB: false, m: n, n: C, k: V, a: logits, lda: V, b: w, ldb: C,
                           beta: 0, c: dxs, ldc: C)
                Blas.sgemm(transA: true, transB: false, m: V, n: C, k: n, a: logits, lda: V, b: xs, ldb: C,
                           beta: 1, c: dw, ldc: C)
                for i in 0..<n { (dx + rowsP[i0 + i] * C).update(from: dxs + i * C, count: C) }
                i0 += n
            }
        }
        }
        }
        }
    }

    /// `headBackward` from arrays ([B·T] each; `dEntropy` nil: no entropy term; `dPreviousKL` with
    /// `previous` (its cached final-norm output, head weight and width): the KL term).
    func headBackward(_ dx: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, dLogProbs: [Float],
                      dEntropy: [Float]?, dPreviousKL: [Float]? = nil,
                      previous: (x: UnsafePointer<Float>, w: UnsafePointer<Float>, channels: Int)? = nil, B: Int, T: Int) {
        dLogProbs.withUnsafeBufferPointer { g in
        (dEntropy ?? []).withUnsafeBufferPointer { e in
        (dPreviousKL ?? []).withUnsafeBufferPointer { d in
            var kt: PreviousKLTerm? = nil
            if let p = previous, let dp = d.baseAddress, dPreviousKL != nil {
                kt = PreviousKLTerm(d: dp, x: p.x, w: p.w, channels: p.channels)
            }
            headBackward(dx, x, dLogProbs: g.baseAddress!, dEntropy: dEntropy == nil ? nil : e.baseAddress,
                         previousKL: kt, B: B, T: T)
        }
        }
        }
    }

    /// Logits of the cached forward [B·T, V], recomputed from the cached final-norm output: one
    /// full head GEMM (2·B·T·V·C flops) and B·T·V floats of memory — meant for small vocabularies
    /// and tests; use `logProbs()` / `entropies()` otherwise.
    public func logits() -> [Float] {
        guard let (B, T) = cachedShape, let x = finalNormOutput else { return [] }
        let N = B * T, C = config.nEmbd, V = config.vocabSize
        var out = [Float](repeating: 0, count: N * V)
        out.withUnsafeMutableBufferPointer { o in
            Blas.sgemm(transA: false, transB: true, m: N, n: V, k: C, a: x, lda: C, b: params.base + layout.head,
                       ldb: C, beta: 0, c: o.baseAddress!, ldc: V)
        }
        return out
    }

    /// Log-probs of the cached forward's tokens: [B·T], position t = log p(tokens[t] | tokens[<t]),
    /// position 0 of each sequence = 0. Computed as logit − logsumexp with the max subtracted.
    public func logProbs() -> [Float] { headLogProbs }

    /// Exact entropy (nats) of the distribution predicting each position of the cached forward:
    /// [B·T], position 0 = 0.
    public func entropies() -> [Float] { headEntropy }

    /// Exact Gauss–Newton curvature `(e_y − p)ᵀ(diag p − p pᵀ)(e_y − p)` of the log-prob of each
    /// position's token under the distribution predicting it ([B·T], position 0 = 0), for CAPO's
    /// token mask; empty unless `tracksCurvature` was on for the cached forward.
    public func curvatures() -> [Float] { headCurvature }

    /// The most likely token at each position of the cached forward (arg-max of the logits that
    /// predict it; the first on ties): [B·T], position 0 of each sequence = −1. Free: computed by
    /// the forward's chunked head, so greedy evaluation needs no `logits()`.
    public func greedyTokens() -> [Int32] { headArgmax }

    /// The cached final-norm output [B·T, C] of the last forward.
    var finalNormOutput: UnsafeMutablePointer<Float>? {
        if let al = actLayout { return acts.base + al.lnf }
        if let al = llamaActs { return acts.base + al.lnf }
        return nil
    }
}
