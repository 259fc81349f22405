// The named parameter tensors of design/MODEL.md ("Tensor names in safetensors")
// and their places in one contiguous arena, in Hugging Face order.

/// One named tensor inside an arena.
public struct ParameterTensor: Sendable, Equatable {
    /// Hugging Face name, e.g. `transformer.h.0.attn.c_attn.weight`.
    public let name: String
    /// Shape, row-major (`[in, out]` for weights).
    public let shape: [Int]
    /// Offset (in floats) inside the arena.
    public let offset: Int
    /// Number of floats.
    public var count: Int { shape.reduce(1, *) }
    /// True for 1-D tensors (biases and LayerNorm parameters).
    public var isVector: Bool { shape.count == 1 }
}

/// Where each parameter lives. Per layer the tensors are contiguous, in MODEL.md's order.
public struct ParameterLayout: Sendable {
    public let tensors: [ParameterTensor]
    /// Total floats.
    public let count: Int
    private let index: [String: Int]

    /// Offsets of one block's tensors.
    public struct Block: Sendable {
        public let ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB: Int
    }
    public let wte: Int
    public let wpe: Int
    public let blocks: [Block]
    public let lnfw: Int
    public let lnfb: Int

    public init(_ cfg: ModelConfig) {
        let V = cfg.vocabSize, T = cfg.nPositions, C = cfg.nEmbd
        var ts: [ParameterTensor] = []
        var off = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let t = ParameterTensor(name: name, shape: shape, offset: off)
            ts.append(t); off += t.count
            return t.offset
        }
        wte = add("transformer.wte.weight", [V, C])
        wpe = add("transformer.wpe.weight", [T, C])
        var bs: [Block] = []
        for l in 0..<cfg.nLayer {
            let p = "transformer.h.\(l)."
            bs.append(Block(
                ln1w: add(p + "ln_1.weight", [C]), ln1b: add(p + "ln_1.bias", [C]),
                attnW: add(p + "attn.c_attn.weight", [C, 3 * C]), attnB: add(p + "attn.c_attn.bias", [3 * C]),
                projW: add(p + "attn.c_proj.weight", [C, C]), projB: add(p + "attn.c_proj.bias", [C]),
                ln2w: add(p + "ln_2.weight", [C]), ln2b: add(p + "ln_2.bias", [C]),
                fcW: add(p + "mlp.c_fc.weight", [C, 4 * C]), fcB: add(p + "mlp.c_fc.bias", [4 * C]),
                fcProjW: add(p + "mlp.c_proj.weight", [4 * C, C]), fcProjB: add(p + "mlp.c_proj.bias", [C])))
        }
        blocks = bs
        lnfw = add("transformer.ln_f.weight", [C])
        lnfb = add("transformer.ln_f.bias", [C])
        tensors = ts
        count = off
        var idx: [String: Int] = [:]
        for (i, t) in ts.enumerated() { idx[t.name] = i }
        index = idx
    }

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> ParameterTensor? { index[name].map { tensors[$0] } }
}
