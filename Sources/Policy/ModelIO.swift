// Reading and writing the model's parameters as safetensors (design/MODEL.md
// "Tensor names in safetensors"): every name and shape is checked against the config.

import Foundation
import Tensor

extension GPT {
    /// Names Hugging Face may store beside the parameters that carry no information for us
    /// (the tied head, attention-mask buffers of older versions).
    static func isIgnorableExtra(_ name: String) -> Bool {
        name == "lm_head.weight" || name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias")
    }

    /// Loads parameters from a safetensors file into a new model of `config`. Errors name the file
    /// and the tensor: missing tensor, wrong dtype, wrong shape (vocabulary mismatches are called out),
    /// unknown tensors.
    public static func load(safetensors url: URL, config: ModelConfig) throws -> GPT {
        let file = try SafeTensorsFile.read(from: url)
        let model = try GPT(config: config)
        try model.loadParameters(from: file)
        return model
    }

    /// Copies every parameter from `file`, validating names, dtypes and shapes.
    public func loadParameters(from file: SafeTensorsFile) throws {
        for t in layout.tensors {
            guard let d = file.tensors[t.name] else {
                throw PolicyError.modelMismatch(file: file.label, detail: "missing tensor '\(t.name)'")
            }
            guard d.shape == t.shape else {
                var detail = "tensor '\(t.name)' has shape \(d.shape), expected \(t.shape)"
                if t.name == "transformer.wte.weight", d.shape.count == 2, d.shape[0] != config.vocabSize {
                    detail += " (vocabulary size \(d.shape[0]) in the file, \(config.vocabSize) in the config)"
                }
                throw PolicyError.modelMismatch(file: file.label, detail: detail)
            }
            let values = try d.floats(name: t.name, file: file.label)
            _ = params.slice(t.offset, t.count).update(fromContentsOf: values)
        }
        for name in file.tensors.keys.sorted() where layout.tensor(named: name) == nil && !Self.isIgnorableExtra(name) {
            throw PolicyError.modelMismatch(file: file.label, detail: "unexpected tensor '\(name)'")
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
