// `tributary import SRC --out DIR`: a GGUF file or a Hugging Face directory becomes a Tributary
// checkpoint — a Hugging Face directory of the same family (F32 weights, config.json, tokenizer
// files) that `--init`, `generate` and `transformers` all load. Prints what was converted.

import ArgumentParser
import Foundation
import Policy
import Pretrained

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring in a pretrained model (GGUF file or Hugging Face directory) as a checkpoint.",
        discussion: "Weights are converted to F32 (GGUF Q4_0/Q4_1/Q8_0/F16/BF16 are dequantised; safetensors F16/BF16 widened). See docs/models.md.")

    @Argument(help: "A .gguf file or a Hugging Face model directory (config.json, safetensors, tokenizer.json).")
    var source: String

    @Option(help: "Checkpoint directory to write (replaced if it exists).")
    var out: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let loaded = try PretrainedModel.load(URL(fileURLWithPath: source))
        try loaded.save(to: URL(fileURLWithPath: out))
        let r = loaded.report
        if json {
            try JSONLines(url: nil).write(r)
            return
        }
        print("imported \(r.source) (\(r.format))")
        print("  family        \(r.family) (model_type \(r.modelType))")
        print("  parameters    \(r.parameters.formatted()) — \(r.layers) layers, width \(r.hiddenSize), \(r.heads) heads / \(r.kvHeads) kv heads, \(r.tiedEmbeddings ? "tied" : "untied") head")
        print("  vocabulary    \(r.vocabSize) (tokenizer: byte-level BPE\(r.hasChatTemplate ? ", chat template" : ", no chat template"))")
        print("  stored types  " + r.storedTypes.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ") + " → F32")
        print("  written to    \(out)")
    }
}
