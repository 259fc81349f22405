// Reading and writing the model's parameters as safetensors or a tensor dictionary (design/MODEL.md
// "Tensor names in safetensors", Hugging Face names for Llama): every name and shape is checked
// against the config.

import Foundation
import Tensor

extension GPT {
    /// Names Hugging Face may store beside the parameters that carry no information for us
    /// (a tied head, attention-mask buffers of older GPT-2 versions, RoPE inv_freq buffers).
    func isIgnorableExtra(_ name: String) -> Bool {
        (name == "lm_head.weight" && config.tieWordEmbeddings) || name.hasSuffix(".attn.bias")
            || name.hasSuffix(".attn.masked_bias") || name.hasSuffix("rotary_emb.inv_freq")
    }

    /// The name under which `files` holds our tensor `name`: GPT-2 tensors may come without the
    /// `transformer.` prefix (GPT2Model checkpoints) — both spellings are accepted.
    static func storedName(_ name: String, in has: (String) -> Bool) -> String? {
        if has(name) { return name }
        if name.hasPrefix("transformer.") {
            let bare = String(name.dropFirst("transformer.".count))
            if has(bare) { return bare }
        }
        return nil
    }

    /// Loads parameters from a safetensors file into a new model of `config`. Errors name the file
    /// and the tensor: missing tensor, wrong dtype, wrong shape (vocabulary mismatches are called out),
    /// unknown tensors.
    public static func load(safetensors url: URL, config: ModelConfig) throws -> GPT {
        let file = try SafeTensorsFile.read(from: url)
        return try GPT(config: config, tensors: file.tensors, label: file.label)
    }

    /// A model of `config` with its parameters from `tensors` (Hugging Face names, F32 — e.g. the
    /// tensors of model.safetensors, or of a GGUF / sharded directory converted to F32). See
    /// `loadParameters(from:label:)` for the checks.
    public convenience init(config: ModelConfig, tensors: [String: TensorData], label: String = "<tensors>") throws {
        try self.init(config: config)
        try loadParameters(from: tensors, label: label)
    }

    /// Copies every parameter from `file`, validating names, dtypes and shapes.
    public func loadParameters(from file: SafeTensorsFile) throws {
        try loadParameters(from: file.tensors, label: file.label)
    }

    /// Copies every parameter from `tensors` (F32), validating names, shapes and that no tensor is
    /// left over. GPT-2 names are accepted with or without the `transformer.` prefix; `lm_head.weight`
    /// is required for an untied head and ignored for a tied one.
    public func loadParameters(from tensors: [String: TensorData], label: String) throws {
        var used = Set<String>()
        for t in layout.tensors {
            guard let key = Self.storedName(t.name, in: { tensors[$0] != nil }), let d = tensors[key] else {
                throw PolicyError.modelMismatch(file: label, detail: "missing tensor '\(t.name)'")
            }
            used.insert(key)
            guard d.shape == t.shape else {
                var detail = "tensor '\(key)' has shape \(d.shape), expected \(t.shape)"
                if t.offset == layout.embedding || t.name == "lm_head.weight", d.shape.count == 2, d.shape[0] != config.vocabSize {
                    detail += " (vocabulary size \(d.shape[0]) in the file, \(config.vocabSize) in the config)"
                }
                throw PolicyError.modelMismatch(file: label, detail: detail)
            }
            let values = try d.floats(name: key, file: label)
            _ = params.slice(t.offset, t.count).update(fromContentsOf: values)
        }
        for name in tensors.keys.sorted() where !used.contains(name) && !isIgnorableExtra(name) {
            throw PolicyError.modelMismatch(file: label, detail: "unexpected tensor '\(name)'")
        }
    }

    /// The parameters as a safetensors file (F32, HF names, metadata format "pt").
    public func parametersFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        var f = SafeTensorsFile(metadata: metadata.merging(["format": "pt"]) { a, _ in a })
        for t in layout.tensors {
            f.tensors[t.name] = TensorData(floats: UnsafeBufferPointer(params.slice(t.offset, t.count)), shape: t.shape)
        }
        return f
    }

    /// The gradients as a safetensors file under the parameter names (for gradient files). When ALP is
    /// trainable the log-scales' gradient is included as `alp.log_scales` (F32 [L]).
    public func gradientsFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        var f = SafeTensorsFile(metadata: metadata)
        for t in layout.tensors {
            f.tensors[t.name] = TensorData(floats: UnsafeBufferPointer(grads.slice(t.offset, t.count)), shape: t.shape)
        }
        if alpTrainable {
            f.tensors[Self.alpLogScalesName] = TensorData(
                floats: UnsafeBufferPointer(start: alpGrads.base, count: config.nLayer), shape: [config.nLayer])
        }
        return f
    }
}
