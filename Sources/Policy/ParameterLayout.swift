// The named parameter tensors of each family (design/MODEL.md "Tensor names in safetensors"; the
// Llama names are Hugging Face's) and their places in one contiguous arena. GPT2Layout and
// LlamaLayout hold the offsets the passes use; ParameterLayout is the family-neutral view
// (names, shapes, offsets) that AdamW, checkpoints and gradient files use.

/// One named tensor inside an arena.
public struct ParameterTensor: Sendable, Equatable {
    /// Hugging Face name, e.g. `transformer.h.0.attn.c_attn.weight` or `model.norm.weight`.
    public let name: String
    /// Shape, row-major (GPT-2 weights `[in, out]`, Llama weights `[out, in]`).
    public let shape: [Int]
    /// Offset (in floats) inside the arena.
    public let offset: Int
    /// Number of floats.
    public var count: Int { shape.reduce(1, *) }
    /// True for 1-D tensors (biases and norm weights).
    public var isVector: Bool { shape.count == 1 }
}

/// Appends named tensors to an arena description.
struct ArenaBuilder {
    var tensors: [ParameterTensor] = []
    var count = 0
    mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let t = ParameterTensor(name: name, shape: shape, offset: count)
        tensors.append(t); count += t.count
        return t.offset
    }
}

/// GPT-2 offsets. Per layer the tensors are contiguous, in MODEL.md's order.
public struct GPT2Layout: Sendable {
    /// Offsets of one block's tensors.
    public struct Block: Sendable {
        public let ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB: Int
    }
    public let wte: Int, wpe: Int, blocks: [Block], lnfw: Int, lnfb: Int
    /// `lm_head.weight` [V, C] when the head is untied; otherwise `wte`.
    public let head: Int

    init(_ cfg: ModelConfig, _ a: inout ArenaBuilder) {
        let V = cfg.vocabSize, T = cfg.nPositions, C = cfg.nEmbd, F = cfg.intermediateSize
        wte = a.add("transformer.wte.weight", [V, C])
        wpe = a.add("transformer.wpe.weight", [T, C])
        var bs: [Block] = []
        for l in 0..<cfg.nLayer {
            let p = "transformer.h.\(l)."
            bs.append(Block(
                ln1w: a.add(p + "ln_1.weight", [C]), ln1b: a.add(p + "ln_1.bias", [C]),
                attnW: a.add(p + "attn.c_attn.weight", [C, 3 * C]), attnB: a.add(p + "attn.c_attn.bias", [3 * C]),
                projW: a.add(p + "attn.c_proj.weight", [C, C]), projB: a.add(p + "attn.c_proj.bias", [C]),
                ln2w: a.add(p + "ln_2.weight", [C]), ln2b: a.add(p + "ln_2.bias", [C]),
                fcW: a.add(p + "mlp.c_fc.weight", [C, F]), fcB: a.add(p + "mlp.c_fc.bias", [F]),
                fcProjW: a.add(p + "mlp.c_proj.weight", [F, C]), fcProjB: a.add(p + "mlp.c_proj.bias", [C])))
        }
        blocks = bs
        lnfw = a.add("transformer.ln_f.weight", [C])
        lnfb = a.add("transformer.ln_f.bias", [C])
        head = cfg.tieWordEmbeddings ? wte : a.add("lm_head.weight", [V, C])
    }
}

/// Llama offsets (Hugging Face names). q, k, v weights are adjacent, as are their biases, so the
/// three projections are one GEMM against a [C + 2·kvDim, C] matrix; gate and up likewise ([2F, C]).
public struct LlamaLayout: Sendable {
    /// Offsets of one block's tensors. `qkvB` is −1 without attention bias.
    public struct Block: Sendable {
        public let ln1w, qkvW, qkvB, oW, ln2w, gateUpW, downW: Int
    }
    public let embed: Int, blocks: [Block], normw: Int
    /// `lm_head.weight` [V, C] when the head is untied; otherwise `embed`.
    public let head: Int

    init(_ cfg: ModelConfig, _ a: inout ArenaBuilder) {
        let V = cfg.vocabSize, C = cfg.nEmbd, K = cfg.kvDim, F = cfg.intermediateSize
        embed = a.add("model.embed_tokens.weight", [V, C])
        var bs: [Block] = []
        for l in 0..<cfg.nLayer {
            let p = "model.layers.\(l)."
            let ln1 = a.add(p + "input_layernorm.weight", [C])
            let q = a.add(p + "self_attn.q_proj.weight", [C, C])
            _ = a.add(p + "self_attn.k_proj.weight", [K, C])
            _ = a.add(p + "self_attn.v_proj.weight", [K, C])
            var qb = -1
            if cfg.attentionBias {
                qb = a.add(p + "self_attn.q_proj.bias", [C])
                _ = a.add(p + "self_attn.k_proj.bias", [K])
                _ = a.add(p + "self_attn.v_proj.bias", [K])
            }
            let o = a.add(p + "self_attn.o_proj.weight", [C, C])
            let ln2 = a.add(p + "post_attention_layernorm.weight", [C])
            let gu = a.add(p + "mlp.gate_proj.weight", [F, C])
            _ = a.add(p + "mlp.up_proj.weight", [F, C])
            let d = a.add(p + "mlp.down_proj.weight", [C, F])
            bs.append(Block(ln1w: ln1, qkvW: q, qkvB: qb, oW: o, ln2w: ln2, gateUpW: gu, downW: d))
        }
        blocks = bs
        normw = a.add("model.norm.weight", [C])
        head = cfg.tieWordEmbeddings ? embed : a.add("lm_head.weight", [V, C])
    }
}

/// Where each parameter lives, for any family.
public struct ParameterLayout: Sendable {
    public let tensors: [ParameterTensor]
    /// Total floats.
    public let count: Int
    /// Number of blocks (layers).
    public let nLayer: Int
    /// GPT-2 offsets (nil for other families).
    public let gpt2: GPT2Layout?
    /// Llama offsets (nil for other families).
    public let llama: LlamaLayout?
    private let index: [String: Int]

    public init(_ cfg: ModelConfig) {
        var a = ArenaBuilder()
        switch cfg.family {
        case .gpt2: gpt2 = GPT2Layout(cfg, &a); llama = nil
        case .llama: llama = LlamaLayout(cfg, &a); gpt2 = nil
        }
        nLayer = cfg.nLayer
        tensors = a.tensors
        count = a.count
        var idx: [String: Int] = [:]
        for (i, t) in a.tensors.enumerated() { idx[t.name] = i }
        index = idx
    }

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> ParameterTensor? { index[name].map { tensors[$0] } }

    /// Offset of the token embedding [V, C].
    public var embedding: Int { gpt2?.wte ?? llama!.embed }
    /// Offset of the LM head matrix [V, C] (the embedding when tied).
    public var head: Int { gpt2?.head ?? llama!.head }
}
