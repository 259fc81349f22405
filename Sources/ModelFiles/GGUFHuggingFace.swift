// GGUF → Hugging Face for the llama family (architectures `llama` and `qwen2`): tensor names
// (blk.N.attn_q.weight → model.layers.N.self_attn.q_proj.weight, …) and values. llama.cpp's
// converter permutes the rows of llama's Q and K weights per head from the Hugging Face rotary
// layout (first half of each head, then second half) to interleaved pairs; transformers' GGUF
// loader undoes that, and so does `huggingFaceTensor`:
//   HF row h·hd + j·(hd/2) + i  =  GGUF row h·hd + 2i + j    (head h, i < hd/2, j ∈ {0, 1})
// with hd = rows / heads (attention.head_count for Q, attention.head_count_kv for K).
// qwen2 files are written without the permutation, so their tensors are only renamed.

/// Model families whose GGUF files map to Hugging Face checkpoints here.
package enum GGUFArchitecture: String, Sendable, CaseIterable {
    case llama, qwen2

    /// Whether llama.cpp's converter permuted Q/K rows for this family.
    package var permutesQueryKey: Bool { self == .llama }
    /// The Hugging Face class name (config.json "architectures").
    package var huggingFaceClass: String {
        switch self {
        case .llama: "LlamaForCausalLM"
        case .qwen2: "Qwen2ForCausalLM"
        }
    }
}

extension GGUFFile {
    /// The file's architecture, if the Hugging Face mapping knows it (else `unsupportedArchitecture`).
    package func huggingFaceArchitecture() throws -> GGUFArchitecture {
        let name = try architecture()
        guard let a = GGUFArchitecture(rawValue: name) else { throw GGUFError(file: path, .unsupportedArchitecture(name)) }
        return a
    }

    /// The Hugging Face name of GGUF tensor `name` in a llama-family model, or nil for tensors
    /// transformers does not load (e.g. `rope_freqs.weight`) or does not know.
    package static func huggingFaceName(of name: String) -> String? {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0,
              String(layer) == parts[1], parts[3] == "weight" || parts[3] == "bias" else { return nil }
        let module: String
        switch parts[2] {
        case "attn_q": module = "self_attn.q_proj"
        case "attn_k": module = "self_attn.k_proj"
        case "attn_v": module = "self_attn.v_proj"
        case "attn_output": module = "self_attn.o_proj"
        case "ffn_gate": module = "mlp.gate_proj"
        case "ffn_up": module = "mlp.up_proj"
        case "ffn_down": module = "mlp.down_proj"
        case "attn_norm": module = "input_layernorm"
        case "ffn_norm": module = "post_attention_layernorm"
        default: return nil
        }
        return "model.layers.\(layer).\(module).\(parts[3])"
    }

    /// Hugging Face name → GGUF tensor name for every tensor that maps (others are left out).
    package func huggingFaceTensorNames() -> [String: String] {
        var out: [String: String] = [:]
        for t in tensors { if let hf = Self.huggingFaceName(of: t.name) { out[hf] = t.name } }
        return out
    }

    /// GGUF tensors with no Hugging Face name (transformers skips them, e.g. `rope_freqs.weight`).
    package func tensorsWithoutHuggingFaceName() -> [String] {
        tensors.map(\.name).filter { Self.huggingFaceName(of: $0) == nil }
    }

    /// The tensor transformers holds as `hfName` after loading this file: dequantised, shape in
    /// PyTorch order, Q/K rows un-permuted for llama.
    package func huggingFaceTensor(_ hfName: String) throws -> FloatTensor {
        guard let ggufName = huggingFaceTensorNames()[hfName] else { throw GGUFError(file: path, .missingTensor(hfName)) }
        return try huggingFaceTensor(ggufName: ggufName, architecture: huggingFaceArchitecture())
    }

    /// Every mapped tensor by Hugging Face name (see `huggingFaceTensor`).
    package func huggingFaceTensors() throws -> [String: FloatTensor] {
        let arch = try huggingFaceArchitecture()
        var out: [String: FloatTensor] = [:]
        for (hf, gguf) in huggingFaceTensorNames() { out[hf] = try huggingFaceTensor(ggufName: gguf, architecture: arch) }
        return out
    }

    private func huggingFaceTensor(ggufName: String, architecture arch: GGUFArchitecture) throws -> FloatTensor {
        let info = try tensorInfo(ggufName)
        var t = FloatTensor(shape: info.shape, values: try floats(info))
        guard arch.permutesQueryKey else { return t }
        let isQ = ggufName.hasSuffix(".attn_q.weight") || ggufName.hasSuffix(".attn_q.bias")
        let isK = ggufName.hasSuffix(".attn_k.weight") || ggufName.hasSuffix(".attn_k.bias")
        guard isQ || isK else { return t }
        let key = "\(arch.rawValue).attention.head_count" + (isK ? "_kv" : "")
        let heads = try isK ? (int(key) ?? requiredInt("\(arch.rawValue).attention.head_count")) : requiredInt(key)
        t.values = try Self.unpermuteRows(t.values, rows: t.shape.first ?? 1, heads: heads, tensor: ggufName, file: path)
        return t
    }

    /// Undoes llama.cpp's rotary row permutation on a row-major matrix of `rows` rows.
    static func unpermuteRows(_ v: [Float], rows: Int, heads: Int, tensor: String, file: String) throws -> [Float] {
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0, rows > 0, v.count % rows == 0 else {
            throw GGUFError(file: file, .badTensorInfo(tensor: tensor, detail:
                "\(rows) rows do not split into \(heads) heads of an even size"))
        }
        let cols = v.count / rows
        let headDim = rows / heads
        let half = headDim / 2
        return [Float](unsafeUninitializedCapacity: v.count) { dst, initialised in
            v.withUnsafeBufferPointer { src in
                for h in 0..<heads {
                    for j in 0..<2 {
                        for i in 0..<half {
                            let to = (h * headDim + j * half + i) * cols
                            let from = (h * headDim + 2 * i + j) * cols
                            (dst.baseAddress! + to).initialize(from: src.baseAddress! + from, count: cols)
                        }
                    }
                }
            }
            initialised = v.count
        }
    }
}
