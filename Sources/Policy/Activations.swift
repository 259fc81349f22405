// The activation caches: everything forward saves for backward, carved out of one arena for a
// given (B, T), plus the backward pass's scratch buffers (llm.c style). One layout per family;
// neither holds a [B·T, V] logits tensor (the LM head works in row chunks, GPT+Head.swift).
// Legend: B batch, T time, C channels, H heads, F MLP width, D = C + 2·kvDim (fused q|k|v row).

/// Offsets (in floats) of each cached GPT-2 activation inside the activation arena.
struct ActivationLayout {
    struct Block {
        var ln1, ln1Mean, ln1Rstd, qkv, att, atty, res2, ln2, ln2Mean, ln2Rstd, fch, fchGelu, res3: Int
    }
    let B: Int, T: Int
    var encoded = 0
    var blocks: [Block] = []
    var lnf = 0, lnfMean = 0, lnfRstd = 0
    // backward scratch
    var dres = 0, dln = 0, dqkv = 0, datty = 0, dfch = 0
    var count = 0

    /// `shared`: every block uses the same buffers (an inference-only forward: each block reads the
    /// previous block's res3 before overwriting it, so nothing is lost but what backward would need).
    init(_ cfg: ModelConfig, B: Int, T: Int, shared: Bool = false) {
        self.B = B; self.T = T
        let N = B * T, C = cfg.nEmbd, H = cfg.nHead, F = cfg.intermediateSize
        var off = 0
        func take(_ n: Int) -> Int { let o = off; off += (n + 15) & ~15; return o } // 64-byte aligned views
        encoded = take(N * C)
        for l in 0..<cfg.nLayer {
            if shared && l > 0 { blocks.append(blocks[0]); continue }
            blocks.append(Block(ln1: take(N * C), ln1Mean: take(N), ln1Rstd: take(N), qkv: take(N * 3 * C),
                                att: take(B * H * T * T), atty: take(N * C), res2: take(N * C),
                                ln2: take(N * C), ln2Mean: take(N), ln2Rstd: take(N),
                                fch: take(N * F), fchGelu: take(N * F), res3: take(N * C)))
        }
        lnf = take(N * C); lnfMean = take(N); lnfRstd = take(N)
        if !shared {  // backward scratch
            dres = take(N * C); dln = take(N * C); dqkv = take(N * 3 * C); datty = take(N * C)
            dfch = take(N * F)
        }
        count = off
    }
}

/// Offsets of the cached Llama activations. Lean: the norm outputs and the SwiGLU product are
/// recomputed in backward (cheap, element-wise) and attention keeps only its log-sum-exp per
/// (b, h, t) instead of the [T, T] probabilities. Per token and layer: D + 2F + 3C + H + 2 floats.
struct LlamaActivationLayout {
    struct Block {
        /// rstd1/rstd2: RMSNorm 1/rms per row; qkv: post-RoPE q|k|v [N, D]; lse [B, H, T];
        /// atty: attention output [N, C]; res2: residual after attention; gu: gate|up [N, 2F];
        /// res3: block output.
        var rstd1, qkv, lse, atty, res2, rstd2, gu, res3: Int
    }
    let B: Int, T: Int
    var encoded = 0
    var blocks: [Block] = []
    var lnf = 0, rstdf = 0
    // forward/backward scratch shared by all blocks
    var ln = 0, h = 0, dres = 0, dln = 0, dqkv = 0, datty = 0, dgu = 0
    var count = 0

    /// `shared`: every block uses the same buffers (inference-only forward, see ActivationLayout).
    init(_ cfg: ModelConfig, B: Int, T: Int, shared: Bool = false) {
        self.B = B; self.T = T
        let N = B * T, C = cfg.nEmbd, H = cfg.nHead, F = cfg.intermediateSize, D = C + 2 * cfg.kvDim
        var off = 0
        func take(_ n: Int) -> Int { let o = off; off += (n + 15) & ~15; return o }
        encoded = take(N * C)
        for l in 0..<cfg.nLayer {
            if shared && l > 0 { blocks.append(blocks[0]); continue }
            blocks.append(Block(rstd1: take(N), qkv: take(N * D), lse: take(B * H * T), atty: take(N * C),
                                res2: take(N * C), rstd2: take(N), gu: take(N * 2 * F), res3: take(N * C)))
        }
        lnf = take(N * C); rstdf = take(N)
        ln = take(N * C); h = take(N * F)
        if !shared { dres = take(N * C); dln = take(N * C); dqkv = take(N * D); datty = take(N * C); dgu = take(N * 2 * F) }
        count = off
    }
}

extension ModelConfig {
    /// Bytes of the activation cache and backward scratch per token of a forward + backward over
    /// sequences of `length` tokens (the figure a trainer needs to size micro-batches), or of an
    /// inference-only forward (`forBackward: false`, one block's buffers reused by all blocks).
    /// Excludes the parameters, gradients and optimizer state (3–4 × 4 bytes per parameter) and the
    /// LM head's fixed chunk buffer (`GPT.headChunkFloats` floats plus two chunks of C).
    public func activationBytesPerToken(length T: Int, forBackward: Bool = true) -> Int {
        let floats: Int
        switch family {
        case .gpt2: floats = ActivationLayout(self, B: 1, T: T, shared: !forBackward).count
        case .llama: floats = LlamaActivationLayout(self, B: 1, T: T, shared: !forBackward).count
        }
        return floats * MemoryLayout<Float>.size / max(T, 1)
    }
}
