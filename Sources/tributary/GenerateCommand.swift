// `tributary generate`: one completion from a pretrained model or a checkpoint made from one —
// the prompt as text (or through the model's chat template with --chat), the completion as
// text; --json adds token ids and the log-prob of every sampled token.

import ArgumentParser
import Foundation
import Policy
import Pretrained
import Tasks
import Tensor

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a completion from a model with a tokenizer.")

    @Option(help: "Checkpoint directory, Hugging Face directory or .gguf file.") var checkpoint: String
    @Option(help: "The prompt text.") var prompt: String
    @Flag(help: "Wrap the prompt as a user turn in the model's chat template.") var chat = false
    @Option(help: "A system turn before the prompt (with --chat).") var system: String?
    @Option(help: "Completion limit in tokens.") var maxNewTokens: Int = 64
    @Flag(help: "Take the most likely token at every step.") var greedy = false
    @Option(help: "Sampling temperature.") var temperature: Float = 1
    @Option(help: "Keep the k most likely tokens.") var topK: Int?
    @Option(help: "Nucleus sampling: keep the smallest set of tokens whose probability reaches p.") var topP: Float?
    @Option(help: "Stop after this text appears (repeatable); the completion is cut before it.") var stop: [String] = []
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Threads for BLAS.") var threads: Int = 2
    @Flag(help: "Print one JSON object with token ids and log-probs.") var json = false

    func run() throws {
        Blas.setThreads(threads)
        let loaded = try PretrainedModel.load(URL(fileURLWithPath: checkpoint))
        let tok = loaded.tokenizer
        var turns = system.map { [ChatTurn(role: "system", content: $0)] } ?? []
        turns.append(ChatTurn(role: "user", content: prompt))
        let ids = try chat ? tok.encodeChat(turns) : tok.encodePrompt(prompt)
        let generation = Generation(model: loaded.model, tokenizer: tok)
        var rng = Xoshiro256(seed: seed)
        let options = SamplingOptions(temperature: temperature, topK: topK, topP: topP, maxNewTokens: maxNewTokens,
                                      endTokens: [Int32(tok.end)], greedy: greedy)
        let out = try generation.complete(ids, options: options, stop: stop, rng: &rng)
        if json {
            try JSONLines(url: nil).write(GenerateResult(prompt: chat ? try tok.renderChat(turns) : prompt,
                                                         promptTokens: ids, tokens: out.tokens, logProbs: out.logProbs,
                                                         text: out.text, finishReason: out.finishReason))
        } else {
            print(out.text)
        }
    }
}

struct GenerateResult: Codable {
    var prompt: String
    var promptTokens: [Int]
    var tokens: [Int]
    var logProbs: [Float]
    var text: String
    var finishReason: String
}
