// ChatTokenizer: a pretrained model's tokenizer as a task sees it — text in, ids out, and the
// model's own prompt framing (its chat template, or BOS + text). The concrete type lives with
// the model loaders (Pretrained/ModelTokenizer.swift); Tasks only needs this contract.

/// One turn of a conversation (`{"role": …, "content": …}` in a task row).
package struct ChatTurn: Sendable, Hashable, Codable {
    package var role: String
    package var content: String
    package init(role: String, content: String) { self.role = role; self.content = content }
}

/// A tokenizer that can frame prompts the way its model was trained to read them.
package protocol ChatTokenizer: TaskTokenizer {
    /// The conversation rendered by the model's chat template with the assistant turn opened
    /// (`add_generation_prompt`), then encoded. Throws when the model has no template.
    func encodeChat(_ turns: [ChatTurn]) throws -> [TokenID]
    /// A plain-text prompt: the model's BOS token (when it adds one) then the text.
    func encodePrompt(_ text: String) throws -> [TokenID]
}
