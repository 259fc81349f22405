// The activation cache: everything forward saves for backward, carved out of one
// arena for a given (B, T), plus the backward pass's scratch buffers (llm.c style).
// Legend: B batch, T time, C channels, V vocab, H heads, L layers.

/// Offsets (in floats) of each cached activation inside the activation arena.
struct ActivationLayout {
    struct Block {
        var ln1, ln1Mean, ln1Rstd, qkv, att, atty, res2, ln2, ln2Mean, ln2Rstd, fch, fchGelu, res3: Int
    }
    let B: Int, T: Int
    var encoded = 0
    var blocks: [Block] = []
    var lnf = 0, lnfMean = 0, lnfRstd = 0, logits = 0, lse = 0
    // backward scratch
    var dres = 0, dln = 0, dqkv = 0, datty = 0, dfch = 0, dlogits = 0
    var count = 0

    init(_ cfg: ModelConfig, B: Int, T: Int) {
        self.B = B; self.T = T
        let N = B * T, C = cfg.nEmbd, V = cfg.vocabSize, H = cfg.nHead
        var off = 0
        func take(_ n: Int) -> Int { let o = off; off += (n + 15) & ~15; return o } // 64-byte aligned views
        encoded = take(N * C)
        for _ in 0..<cfg.nLayer {
            blocks.append(Block(ln1: take(N * C), ln1Mean: take(N), ln1Rstd: take(N), qkv: take(N * 3 * C),
                                att: take(B * H * T * T), atty: take(N * C), res2: take(N * C),
                                ln2: take(N * C), ln2Mean: take(N), ln2Rstd: take(N),
                                fch: take(N * 4 * C), fchGelu: take(N * 4 * C), res3: take(N * C)))
        }
        lnf = take(N * C); lnfMean = take(N); lnfRstd = take(N)
        logits = take(N * V); lse = take(N)
        dres = take(N * C); dln = take(N * C); dqkv = take(N * 3 * C); datty = take(N * C)
        dfch = take(N * 4 * C); dlogits = take(N * V)
        count = off
    }
}
