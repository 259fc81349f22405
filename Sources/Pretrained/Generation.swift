// Generation: text in, text out with a pretrained model — the KV-cached sampler plus the model's
// tokenizer, stopping at the end token, at a stop string or at the token limit (`generate`).

import Policy
import Tasks
import Tensor

/// One completion of a prompt, as tokens and text.
package struct GeneratedText: Sendable, Equatable {
    /// Sampled tokens, the end token included when one was sampled.
    package var tokens: [Int]
    /// log-prob of each sampled token under the distribution it was drawn from.
    package var logProbs: [Float]
    /// The decoded completion without the end token, cut before the first stop string.
    package var text: String
    /// `end` (end token), `stop` (a stop string) or `length` (the token limit).
    package var finishReason: String
}

/// A model and its tokenizer, ready to complete prompts. Not Sendable: one thread at a time.
package final class Generation {
    package let sampler: Sampler
    package let tokenizer: ModelTokenizer

    package init(model: GPT, tokenizer: ModelTokenizer) {
        sampler = Sampler(model: model)
        self.tokenizer = tokenizer
    }

    /// Completes `prompt` (token ids, e.g. from `encodeChat`). `options.endTokens` should hold the
    /// tokenizer's end token; `stop` strings end the completion as soon as one is decoded.
    package func complete(_ prompt: [TokenID], options: SamplingOptions, stop: [String] = [],
                         rng: inout Xoshiro256) throws -> GeneratedText {
        let stops = stop.filter { !$0.isEmpty }
        let tok = tokenizer
        let rule: ((Int, [Int32]) -> Bool)? = stops.isEmpty ? nil : { _, completion in
            let text = tok.decode(completion.map(TokenID.init))
            return stops.contains { text.contains($0) }
        }
        let c = try sampler.generate(prompts: [prompt.map { Int32($0) }], options: options, rng: &rng, stop: rule)[0]
        var ids = c.tokens.map(TokenID.init)
        if c.finishReason == .end, let last = c.tokens.last, options.isEnd(last) { ids.removeLast() }
        var text = tokenizer.decode(ids)
        if let cut = stops.compactMap({ text.range(of: $0)?.lowerBound }).min() { text = String(text[..<cut]) }
        return GeneratedText(tokens: c.tokens.map(TokenID.init), logProbs: c.logProbs, text: text,
                             finishReason: c.finishReason.rawValue)
    }
}
